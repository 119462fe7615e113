"""The default answer: sentences taken verbatim from the best passages, each cited, no LLM.

Sentences are scored by meaning (cosine with the topic) plus a bonus for sharing the topic's
words; near-duplicates across reports are dropped; the survivors are grouped by report in date
order, or laid out as a timeline when the question asks about progress.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.chunk import sentence_spans
from index.records import Passage

from .records import AnswerSentence, Citation

STOP = {"the", "a", "an", "of", "and", "or", "to", "in", "on", "for", "with", "is", "are", "was", "were",
        "be", "been", "has", "have", "had", "its", "it", "this", "that", "by", "as", "at", "from"}
CHANGE_RE = re.compile(r"\b(progress|reduced|reduction|improv\w*|increas\w*|decreas\w*|encourag\w*|still|"
                       r"not yet|yet|no longer|now|compl(y|ies|iant|iance)|backlogs?|limited|from \d[\d.]* "
                       r"(per ?cent|%)?\s*\w* ?\w* ?\w* ?to \d)", re.I)
FIGURES_RE = re.compile(r"\bfrom [£]?\d[\d.,]*\s*(%|per ?cent)?.{0,40}?\bto [£]?\d", re.I)
RECOMMENDATION_RE = re.compile(r"\b(should|recommend\w*|areas? for improvement|needs? to)\b", re.I)


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the document's cleaned text
    end: int
    text: str
    score: float = 0.0
    vector: np.ndarray | None = None


def stems(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP and len(w) > 2}


def candidates(passages: list[Passage]) -> list[Candidate]:
    out = []
    for p in passages:
        spans = []
        for line in re.finditer(r"[^\n]+", p.text):  # table rows and list items end at the line
            spans += sentence_spans(p.text, line.start(), line.end())
        for s, e in spans:
            if p.text.startswith("- ", s):
                s += 2  # the bullet mark is layout, the quote starts at the words
            text = p.text[s:e]
            if len(text.split()) < 4 or text.endswith("?"):
                continue  # fragments and questions are not findings
            out.append(Candidate(p, p.start + s, p.start + e, text))
    return out


def score(cands: list[Candidate], topic: str, question: str, embed, progress: bool = False) -> None:
    if not cands:
        return
    vectors = embed([topic or question, question] + [c.text for c in cands])
    # the topic alone ("vetting") and the whole question ("… progress … since 2014") each miss
    # something; their mean direction keeps both
    q = vectors[0] + vectors[1]
    q = q / np.linalg.norm(q)
    rest = vectors[2:]
    topic_stems = stems(topic) or stems(question)
    previous: Candidate | None = None
    for c, v in zip(cands, rest, strict=True):
        overlap = len(topic_stems & stems(c.text)) / max(1, len(topic_stems))
        # "The department reduced its backlogs…" is about vetting because the sentence before it is
        same_para = previous is not None and previous.passage is c.passage and \
            "\n" not in c.passage.text[previous.end - c.passage.start:c.start - c.passage.start]
        context = len(topic_stems & stems(previous.text)) / max(1, len(topic_stems)) if same_para else 0.0
        c.vector = v
        c.score = float(np.dot(q, v)) + 0.35 * overlap + 0.15 * context
        if progress and CHANGE_RE.search(c.text):
            c.score += 0.2  # a progress question wants what changed and where things stand
            if FIGURES_RE.search(c.text):
                c.score += 0.3  # …and measured change most of all
        previous = c


def select(cands: list[Candidate], limit: int, per_doc: int, floor: float) -> list[Candidate]:
    """Best sentences above `floor`, at most `per_doc` from one report, no near-duplicates."""
    chosen: list[Candidate] = []
    per: dict[str, int] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        if c.score < floor or len(chosen) >= limit:
            break
        if per.get(c.passage.doc_id, 0) >= per_doc:
            continue
        if any(c.start == o.start and c.passage.doc_id == o.passage.doc_id for o in chosen):
            continue
        if any(float(np.dot(c.vector, o.vector)) > 0.9 for o in chosen):
            continue  # the same finding said again, often word for word in another force's report
        chosen.append(c)
        per[c.passage.doc_id] = per.get(c.passage.doc_id, 0) + 1
    return chosen


def select_per_report(cands: list[Candidate], per_doc: int, floor: float, margin: float) -> list[Candidate]:
    """For a timeline every report with real evidence speaks: its own best sentences, not only the
    corpus-wide best, so a report that says less still gets its year."""
    by_doc: dict[str, list[Candidate]] = {}
    for c in cands:
        by_doc.setdefault(c.passage.doc_id, []).append(c)
    chosen: list[Candidate] = []
    for doc_cands in by_doc.values():
        best = max(c.score for c in doc_cands)
        if best < floor:
            continue
        chosen += select(doc_cands, limit=per_doc, per_doc=per_doc, floor=max(floor, best - margin))
    deduped: list[Candidate] = []
    for c in sorted(chosen, key=lambda c: -c.score):
        if not any(float(np.dot(c.vector, o.vector)) > 0.9 for o in deduped) and not _table_note(c.text):
            deduped.append(c)
    return deduped


def _table_note(text: str) -> bool:
    return bool(re.match(r"(The proportion|The chart above|Information above|Proportion of)", text))


def cite(chosen: list[Candidate], page_of) -> tuple[list[Citation], dict[int, int]]:
    citations, number = [], {}
    for c in chosen:
        if id(c) in number:
            continue
        n = len(citations) + 1
        number[id(c)] = n
        p = c.passage
        citations.append(Citation(n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title,
                                  force=", ".join(p.forces), year=p.year, section=p.section,
                                  page=page_of(p.doc_id, c.start), quote=c.text, start=c.start, end=c.end))
    return citations, number


def compose(chosen: list[Candidate], timeline: bool, period_of) -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Markdown grouped by report in date order; a timeline (year → force → findings) on request."""
    ordered = sorted(chosen, key=lambda c: (c.passage.year or 0, c.passage.title, c.start))
    citations, number = cite(ordered, period_of.page)
    lines: list[str] = []
    sentences: list[AnswerSentence] = []
    current_year, current_doc = None, None
    for c in ordered:
        p = c.passage
        if timeline and p.year != current_year:
            current_year, current_doc = p.year, None
            lines.append(f"\n### {p.year or 'Year unknown'}")
        if p.doc_id != current_doc:
            current_doc = p.doc_id
            period = period_of.period(p.doc_id)
            label = f"**{', '.join(p.forces) or 'No force'}** · {p.title}" + (f" ({period})" if period else "")
            # a blank line first, or Markdown folds the label into the previous bullet
            lines.append("\n" + label + ("" if timeline else f", {p.year}"))
        n = number[id(c)]
        lines.append(f"- {c.text} [{n}]")
        sentences.append(AnswerSentence(text=c.text, citations=[n]))
    if timeline and ordered:
        newest = max(c.passage.year or 0 for c in ordered)
        latest = [c for c in ordered if (c.passage.year or 0) == newest]
        lines.append(f"\n**Latest position ({newest}):** " + " ".join(f"{c.text} [{number[id(c)]}]" for c in latest[:2]))
        open_items = [c for c in ordered if RECOMMENDATION_RE.search(c.text)]
        if open_items:
            lines.append("\n**Recommendations and areas for improvement in these reports:**")
            lines.extend(f"- {c.passage.year}: {c.text} [{number[id(c)]}]" for c in open_items)
    return "\n".join(lines).strip(), sentences, citations
