"""Answers about recommendations from the findings store: "what did HMIC recommend about vetting",
"is that still open", "which forces were told to improve their vetting". The matching findings are
listed with their latest position, each cited like any other sentence of an answer."""
from __future__ import annotations

import re

from ingest.findings import themes_of

from .brief import KIND_LABEL
from .citing import SpanCiter
from .corpus import Corpus
from .followthrough import TRACKED, FollowThrough, Tracked
from .inert import inert
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


def matching(ft: FollowThrough, q: Query, question: str) -> list[Tracked]:
    """Tracked findings for the question's forces, years and topic, most relevant first. They are
    chosen on the findings themselves (kind, years, topic); only the forces of those chosen are followed
    through their later reports: following every force took 50 s for a first question naming none
    at a million chunks (docs/BENCHMARKS.md, "Scale")."""
    forces = q.forces or sorted({f for d in ft.headers.values() for f in d.forces})
    kinds = _kinds(question)
    seen, out = set(), []  # (the force it is followed through for, the finding)
    for force, f in ((force, f) for force in forces for f in ft.findings if force in f.forces and f.kind in TRACKED):
        if f.finding_id in seen or f.kind not in kinds:  # a finding about two forces is tracked for each
            continue
        # "the areas for improvement from 2012" names the year they were made, "in 2014" the report's
        years = {f.year or 0, f.report_year or 0}
        if (q.year_from and max(years) < q.year_from) or (q.year_to and min(years) > q.year_to):
            continue
        seen.add(f.finding_id)
        out.append((force, f))
    return [_followed(ft, force, f) for force, f in _chosen(ft, q, out)]


def _followed(ft, force: str, f) -> Tracked:
    return next(t for t in ft.track(force) if t.finding.finding_id == f.finding_id)


def _chosen(ft, q: Query, out: list) -> list:
    topic = q.topic.strip()
    themes = set(themes_of(topic))
    if not out:
        return []
    if not themes and q.forces:
        # no subject beyond the force ("what did HMIC recommend to Hampshire?"): all of its findings
        sims = ft.sim(topic, [f.text for _, f in out]) if topic else None
        if sims is None or float(max(sims)) < 0.45:
            return sorted(out, key=lambda x: (x[1].year or 0, x[1].start))[:LIMIT]
    if not topic:
        return []
    sims = ft.sim(topic, [f.text for _, f in out])
    ranked = []
    for x, sim in zip(out, sims, strict=True):
        on_theme = bool(themes & set(x[1].themes))
        if on_theme or sim >= 0.45:
            ranked.append((float(sim) + (0.3 if on_theme else 0.0), x))
    return [x for _, x in sorted(ranked, key=lambda r: -r[0])][:LIMIT]


def section(corpus: Corpus, tracked: list[Tracked], existing: list[Citation]) -> tuple[str, list[AnswerSentence],
                                                                                   list[Citation]]:
    """Markdown lines, sentences and the new citations for `tracked`; a span the answer already cites
    keeps its number."""
    lines = ["\n**From the findings tracker** (recommendations and areas for improvement in the reports, "
             "with the latest evidence on each):"]
    sentences: list[AnswerSentence] = []
    cite = SpanCiter(corpus.document, corpus.chunk_at, existing, clip=True)
    for t in sorted(tracked, key=lambda t: (t.finding.year or 0, t.finding.start)):
        f = t.finding
        n = cite(f.doc_id, f.start, f.end)
        quote = cite.quote(n)
        cited = [n]
        position = f"latest position: **{t.status}**"
        if (b := t.basis_evidence) is not None:
            cited.append(cite(b.doc_id, b.start, b.end))
            position += f" ({b.year}) [{cited[-1]}]"
        lines.append(f"- {', '.join(f.forces)}, {f.year}, {KIND_LABEL[f.kind].lower()}: “{inert(' '.join(quote.split()))}” "
                     f"[{n}] · {position}")
        sentences.append(AnswerSentence(text=quote, citations=cited))
    return "\n".join(lines), sentences, cite.citations
