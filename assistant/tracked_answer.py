"""Answers about recommendations from the findings store: "what did HMIC recommend about vetting",
"is that still open", "which forces were told to improve their vetting". The matching findings are
listed with their latest position, each cited like any other sentence of an answer."""
from __future__ import annotations

import re

from ingest.findings import themes_of

from .followthrough import TRACKED, Tracked
from .query import Query
from .records import AnswerSentence, Citation

STATUS_RE = re.compile(r"\b(still (open|outstanding)|(been|was|were) (met|done|implemented|addressed|acted on)|"
                       r"followed up|open (items?|recommendations?)|outstanding|told to|"
                       r"areas? for improvement|recommend\w*)\b", re.I)
LIMIT = 6


def wanted(question: str, q: Query) -> bool:
    """Asked for recommendations or what became of them; a bare "should" is not enough, and a follow-up
    ("is that still open?") counts through its own words."""
    return bool(STATUS_RE.search(question))


def _kinds(question: str) -> tuple[str, ...]:
    afi = re.search(r"areas? (for|of) improvement|causes? of concern", question, re.I)
    rec = re.search(r"recommend", question, re.I)
    if afi and not rec:
        return ("area_for_improvement", "cause_of_concern")
    if rec and not afi:
        return ("recommendation",)
    return TRACKED


def matching(assistant, q: Query, question: str) -> list[Tracked]:
    """Tracked findings for the question's forces, years and topic, most relevant first."""
    ft = assistant.follow_through()
    forces = q.forces or sorted({f for d in ft.docs.values() for f in d.forces})
    kinds = _kinds(question)
    seen, out = set(), []
    for t in (t for force in forces for t in ft.track(force)):
        f = t.finding
        if f.finding_id in seen or f.kind not in kinds:  # a finding about two forces is tracked for each
            continue
        # "the areas for improvement from 2012" names the year they were made, "in 2014" the report's
        years = {f.year or 0, f.report_year or 0}
        if (q.year_from and max(years) < q.year_from) or (q.year_to and min(years) > q.year_to):
            continue
        seen.add(f.finding_id)
        out.append(t)
    topic = q.topic.strip()
    themes = set(themes_of(topic))
    if not out:
        return []
    if not themes and q.forces:
        # no subject beyond the force ("what did HMIC recommend to Hampshire?"): all of its findings
        sims = ft.sim(topic, [t.finding.text for t in out]) if topic else None
        if sims is None or float(max(sims)) < 0.45:
            return sorted(out, key=lambda t: (t.finding.year or 0, t.finding.start))[:LIMIT]
    if not topic:
        return []
    sims = ft.sim(topic, [t.finding.text for t in out])
    ranked = []
    for t, sim in zip(out, sims, strict=True):
        on_theme = bool(themes & set(t.finding.themes))
        if on_theme or sim >= 0.45:
            ranked.append((float(sim) + (0.3 if on_theme else 0.0), t))
    return [t for _, t in sorted(ranked, key=lambda x: -x[0])][:LIMIT]


def section(assistant, tracked: list[Tracked], existing: list[Citation]) -> tuple[str, list[AnswerSentence],
                                                                                list[Citation]]:
    """Markdown lines, sentences and the new citations for `tracked`; a span the answer already cites
    keeps its number."""
    first_n = len(existing) + 1
    lines = ["\n**From the findings tracker** (recommendations and areas for improvement in the reports, "
             "with the latest evidence on each):"]
    sentences: list[AnswerSentence] = []
    citations: list[Citation] = []
    numbers: dict[tuple, int] = {(c.doc_id, c.start, c.end): c.n for c in existing}
    quotes: dict[int, str] = {c.n: c.quote for c in existing}

    def cite(doc_id: str, start: int, end: int) -> int:
        chunk = assistant.chunk_at(doc_id, start, end)
        # the quote stays inside one passage, as every citation's does
        s, e = (max(start, chunk.start), min(end, chunk.end)) if chunk else (start, end)
        key = (doc_id, s, e)
        if key not in numbers:
            doc = assistant.document(doc_id)
            n = first_n + len(citations)
            numbers[key] = n
            citations.append(Citation(n=n, chunk_id=chunk.chunk_id if chunk else "", doc_id=doc_id, title=doc.title,
                                      force=", ".join(doc.forces), year=doc.year, section=chunk.section if chunk else "",
                                      page=doc.page_at(s), quote=doc.text[s:e], start=s, end=e))
            quotes[n] = doc.text[s:e]
        return numbers[key]

    label = {"recommendation": "recommendation", "area_for_improvement": "area for improvement",
             "cause_of_concern": "cause of concern"}
    for t in sorted(tracked, key=lambda t: (t.finding.year or 0, t.finding.start)):
        f = t.finding
        n = cite(f.doc_id, f.start, f.end)
        quote = quotes[n]
        basis = [e for e in t.evidence if e.status and e.year == t.basis_year]
        if basis:
            b = next((e for e in basis if e.status == t.status), basis[0])
            m = cite(b.doc_id, b.start, b.end)
            position = f"latest position: **{t.status}** ({b.year}) [{m}]"
        else:
            position = f"latest position: **{t.status}**"
        lines.append(f"- {', '.join(f.forces)}, {f.year}, {label[f.kind]}: “{' '.join(quote.split())}” [{n}] "
                     f"· {position}")
        sentences.append(AnswerSentence(text=quote, citations=[n] + ([m] if basis else [])))
    return "\n".join(lines), sentences, citations

