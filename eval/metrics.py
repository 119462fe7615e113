"""Retrieval and answer metrics over a dataset, overall and broken down by question kind."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from assistant.policy import CAUTION_NOTICE

from .dataset import Item
from .relevance import matched, normal, share_held

KS = (1, 3, 5, 10)


@dataclass
class Hit:
    """One retrieved passage as the metrics see it: its text and the file it came from."""
    rank: int
    text: str
    file: str
    section: str = ""


@dataclass
class RetrievalScore:
    item: Item
    hits: list[Hit]
    first: int | None  # rank of the first relevant passage
    recall: dict[int, float]
    ndcg: float
    doc_first: bool = False  # the first passage is from a file holding a labelled quote


def score_retrieval(item: Item, hits: list[Hit]) -> RetrievalScore:
    found_at: dict[int, int] = {}  # quote index -> first rank that holds it
    first = None
    dcg = 0.0
    for h in hits[:10]:
        quotes = matched(h.text, h.file, item.relevant)
        if quotes and first is None:
            first = h.rank
        new = quotes - set(found_at)
        if new:
            dcg += 1 / math.log2(h.rank + 1)  # a passage counts once, for evidence not seen above it
        for i in quotes:
            found_at.setdefault(i, h.rank)
    ideal = sum(1 / math.log2(r + 1) for r in range(1, min(len(item.relevant), 10) + 1))
    recall = {k: sum(r <= k for r in found_at.values()) / len(item.relevant) for k in (5, 10)}
    doc_first = bool(hits) and hits[0].file in {e.file for e in item.relevant}
    return RetrievalScore(item, hits, first, recall, dcg / ideal if ideal else 0.0, doc_first)


def summarise_retrieval(scores: list[RetrievalScore]) -> dict[str, float]:
    n = len(scores)
    if not n:
        return {}
    out = {f"hit@{k}": sum(bool(s.first and s.first <= k) for s in scores) / n for k in KS}
    out["recall@5"] = sum(s.recall[5] for s in scores) / n
    out["recall@10"] = sum(s.recall[10] for s in scores) / n
    out["MRR@10"] = sum(1 / s.first for s in scores if s.first and s.first <= 10) / n
    out["nDCG@10"] = sum(s.ndcg for s in scores) / n
    # on short publications one large chunk is the whole document, which flatters passage figures
    out["doc hit@1"] = sum(s.doc_first for s in scores) / n
    out["n"] = n
    return out


@dataclass
class AnswerScore:
    item: Item
    refused: bool
    cited_sentences: int = 0
    supported_sentences: int = 0
    cites_relevant: bool = False
    closest_relevant: bool = False  # refused, but the closest passages it listed quote relevant evidence
    first_quote: str = ""
    evidence: float = 0.0  # the answer's best evidence score, compared with `refuse_below`
    inexact: int = 0  # citations whose quote is not an exact substring of the passage cited
    quoted: int = 0  # sentences the answer quotes (answerable questions)
    quoted_labelled: int = 0  # … that are, contain or are contained in a labelled quote
    lead: bool = False  # the first sentence quoted is a labelled answer
    cautioned: bool = False  # answered under the weak-evidence caution


def is_labelled(sentence: str, file: str, relevant) -> bool:
    """The quoted sentence is, contains or is contained in a labelled quote of the same file (words
    compared, layout ignored): the sentence a good answer leads with."""
    s = normal(sentence)
    return any(file == e.file and (normal(e.quote) in s or s in normal(e.quote)) for e in relevant) \
        if s.strip() else False


def score_answer(item: Item, answer, chunk_text, file_of) -> AnswerScore:
    """`chunk_text(chunk_id)` and `file_of(doc_id)` resolve citations to their passage and file."""
    s = AnswerScore(item, refused=bool(answer.refused), evidence=float(answer.evidence_score),
                    cautioned=CAUTION_NOTICE in answer.notices)
    by_n = {c.n: c for c in answer.citations}
    s.first_quote = answer.citations[0].quote if answer.citations else ""
    s.inexact = sum(c.quote not in chunk_text(c.chunk_id) for c in answer.citations + answer.closest)
    if not item.answerable:
        return s
    for sentence in answer.sentences:
        cites = [by_n[n] for n in sentence.citations if n in by_n]
        if not cites:
            continue
        labelled = any(is_labelled(sentence.text, file_of(c.doc_id), item.relevant) for c in cites)
        if not answer.refused:
            s.lead = s.lead or (s.quoted == 0 and labelled)
            s.quoted += 1
            s.quoted_labelled += labelled
        s.cited_sentences += 1
        if any(matched(chunk_text(c.chunk_id), file_of(c.doc_id), item.relevant) for c in cites):
            s.supported_sentences += 1
    def quotes_relevant(citations) -> bool:
        return any(file_of(c.doc_id) == e.file and (share_held(c.quote, e.quote) >= 0.5 or share_held(e.quote, c.quote) >= 0.5)
                   for c in citations for e in item.relevant)

    if not answer.refused:
        s.cites_relevant = quotes_relevant(answer.citations)
    else:
        s.closest_relevant = quotes_relevant(answer.closest)
    return s


def summarise_answers(scores: list[AnswerScore]) -> dict[str, float]:
    answerable = [s for s in scores if s.item.answerable]
    unanswerable = [s for s in scores if not s.item.answerable]
    refused = [s for s in scores if s.refused]
    cited = sum(s.cited_sentences for s in answerable)
    out: dict[str, float] = {"n": len(scores), "inexact_quotes": sum(s.inexact for s in scores)}
    if answerable:
        out["answer_recall"] = sum(s.cites_relevant for s in answerable) / len(answerable)
        out["citation_support"] = sum(s.supported_sentences for s in answerable) / cited if cited else 0.0
        out["answered"] = sum(not s.refused for s in answerable) / len(answerable)
        # what the officer reads: the first line, and how much of what is quoted answers
        out["lead"] = sum(s.lead for s in answerable) / len(answerable)
        quoted = sum(s.quoted for s in answerable)
        out["quote_precision"] = sum(s.quoted_labelled for s in answerable) / quoted if quoted else 0.0
        wrongly = [s for s in answerable if s.refused]  # none refused: nothing was hidden
        out["refused_shown"] = sum(s.closest_relevant for s in wrongly) / len(wrongly) if wrongly else 1.0
    if unanswerable:
        out["refusal_recall"] = sum(s.refused for s in unanswerable) / len(unanswerable)
    if refused:
        out["refusal_precision"] = sum(not s.item.answerable for s in refused) / len(refused)
    elif unanswerable:
        out["refusal_precision"] = 0.0
    return out


@dataclass
class FilterCheck:
    item: Item
    forces: list[str]
    year_from: int | None
    year_to: int | None
    ok: bool = field(init=False)  # the forces and the years exactly as labelled
    covers: bool = field(init=False)  # the forces as labelled and years that include the labelled ones

    def __post_init__(self):
        # a dataset that labels no force for a question leaves forces unscored (realdev labels years only)
        forces_ok = not self.item.forces or sorted(self.forces) == sorted(self.item.forces)
        self.ok = forces_ok and (self.year_from, self.year_to) == (self.item.year_from, self.item.year_to)
        self.covers = forces_ok and _within((self.item.year_from, self.item.year_to), (self.year_from, self.year_to))


def _within(inner: tuple[int | None, int | None], outer: tuple[int | None, int | None]) -> bool:
    """Whether the years `inner` lie inside `outer` (None: open); a label with no years is inside
    only an inference with none (a year read into a question that names none narrows it wrongly)."""
    if inner == (None, None):
        return outer == (None, None)
    if outer == (None, None):
        return False  # the question names years and none were understood
    (a, b), (lo, hi) = inner, outer
    return (lo is None or (a is not None and a >= lo)) and (hi is None or (b is not None and b <= hi))


def by_kind(items_scores: list, summarise) -> dict[str, dict]:
    kinds: dict[str, list] = {}
    for s in items_scores:
        kinds.setdefault(s.item.kind, []).append(s)
    return {k: summarise(v) for k, v in sorted(kinds.items())}


def best_threshold(scores: list[AnswerScore]) -> tuple[float, float] | None:
    """The evidence score that best separates answerable from unanswerable questions on this set,
    with its balanced accuracy (the mean of the two kinds' success rates, so the many answerable
    questions do not drown the few unanswerable ones): a hint for `refuse_below` on a new corpus."""
    return fit_threshold([(s.evidence, s.item.answerable) for s in scores])


def fit_threshold(pairs: list[tuple[float, bool]]) -> tuple[float, float] | None:
    """(threshold, balanced accuracy) best separating (evidence, answerable) pairs."""
    points = sorted({e for e, _ in pairs})
    pos = [e for e, ok in pairs if ok]
    neg = [e for e, ok in pairs if not ok]
    if not pos or not neg:
        return None
    best = None
    for lo, hi in zip(points, points[1:], strict=False):
        t = round((lo + hi) / 2, 3)
        acc = (sum(e >= t for e in pos) / len(pos) + sum(e < t for e in neg) / len(neg)) / 2
        if best is None or acc > best[1]:
            best = (t, acc)
    return best
