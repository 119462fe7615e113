"""What became of each finding: the later evidence on the same theme for the same force, what
that evidence says (done, progress, limited progress), and the latest position.

Extractive and rule-based; the rules are in docs/FINDINGS.md. Every piece of evidence is a
sentence of a report, kept with its span so it is cited like any passage.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ingest.chunk import sentence_spans
from ingest.findings import FINDING_KINDS, Finding, ordinal_of, paragraphs, themes_of
from ingest.records import Document

from .settings import Settings

TRACKED = FINDING_KINDS[:3]  # recommendations, areas for improvement, causes of concern: what can be followed

# checked in this order on one sentence; the first that matches is its signal
LIMITED_RE = re.compile(
    r"\b(limited (progress|evidence)|little progress|no (real |significant )?progress|still no\b|still requires|"
    r"not yet|(doesn|hasn|isn)[’']t yet|(does|has|is) not yet|has not been|have not been|does not (fully )?comply|"
    r"not mandatory|does not currently|not currently part|is not currently|generally unaware|remains? (a )?concern|"
    r"still needs|no mechanism|no evidence)", re.I)
DONE_RE = re.compile(
    r"\b(met the recommendations?|has met|(is|are|has been|have been) (fully )?(implemented|completed|"
    r"established|introduced|clearly defined)|(is|are) now (aware|in place)|now operates|fully compl(y|ies|iant)|"
    r"routinely complies|business as usual|matter of course|has adopted|(has|have) (been )?introduced)\b", re.I)
PROGRESS_RE = re.compile(
    r"\b(good progress|encouraging progress|some progress|made progress|has been progress|progress (in|on|with)|"
    r"progress\b[^.]{0,60}\bis good|being progressed|is ongoing|are ongoing|(is|are) (currently )?being developed|"
    r"currently delivering|reinforced|reduced (its|the)|improv(ed|ing) (its|the)|"
    r"has plans|is developing|due to be implemented|has developed|received outline approval)\b", re.I)


def signal(sentence: str) -> str | None:
    """The status one sentence states, or None when it states none."""
    if LIMITED_RE.search(sentence):
        return "limited progress"
    if DONE_RE.search(sentence):
        return "done"
    if PROGRESS_RE.search(sentence):
        return "progress"
    return None


def combine(signals: list[str]) -> str:
    """One report's position from its sentences: acknowledged movement that is not complete is
    progress; only shortfalls is limited progress; done only when nothing says otherwise."""
    s = set(signals)
    if not s:
        return "no evidence yet"
    if s == {"done"}:
        return "done"
    if s == {"limited progress"}:
        return "limited progress"
    return "progress"


@dataclass
class Evidence:
    source: str  # "origin" (the earlier report that made it), "verdict" (the report that quotes it), "later
    # report", "later finding", "force response"
    status: str | None
    doc_id: str
    title: str
    year: int | None
    period: str | None
    section: str
    quote: str  # exact: the document's cleaned text[start:end]
    start: int
    end: int
    finding_id: str | None = None
    similarity: float = 0.0


@dataclass
class Tracked:
    finding: Finding
    evidence: list[Evidence] = field(default_factory=list)
    status: str = "no evidence yet"
    as_of: int | None = None  # the newest report for the force
    basis_year: int | None = None  # the year of the evidence the status rests on
    basis: str = ""  # in words: whose evidence the status rests on

    @property
    def open(self) -> bool:
        return self.status != "done"

    @property
    def basis_evidence(self) -> Evidence | None:
        """The piece of evidence the latest position rests on: of the basis year, one whose own status
        is the position when there is one."""
        latest = [e for e in self.evidence if e.status and e.year == self.basis_year] if self.basis_year else []
        return next((e for e in latest if e.status == self.status), latest[0] if latest else None)


def _evidence(doc: Document, source: str, start: int, end: int, status: str | None, sim: float = 0.0,
              finding_id: str | None = None) -> Evidence:
    return Evidence(source=source, status=status, doc_id=doc.doc_id, title=doc.title, year=doc.year,
                    period=doc.period, section=doc.section_at(start), quote=doc.text[start:end],
                    start=start, end=end, finding_id=finding_id, similarity=round(float(sim), 3))


def _sentences(doc: Document, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for p in paragraphs(doc.text[start:end]):
        out += sentence_spans(doc.text, start + p.body_start, start + p.end)
    return out


class Documents(Mapping):
    """Documents by id for follow-through: every header held (forces, year, title, sections), a
    document's text read from the catalog when it is looked up, the KEEP most recent kept. Holding every
    text was ~1 GB at a million chunks, read by warm-up before anyone asked (docs/BENCHMARKS.md, "Scale").
    Iterate over `headers` for what every document has; `docs[doc_id]` is the whole document."""
    KEEP = 256

    def __init__(self, headers: dict[str, Document], read: Callable[[str], Document | None]):
        self.headers, self._read = headers, read
        self._kept: OrderedDict[str, Document] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, doc_id: str) -> Document:
        with self._lock:
            doc = self._kept.get(doc_id)
            if doc is not None:
                self._kept.move_to_end(doc_id)
                return doc
        doc = self._read(doc_id) if doc_id in self.headers else None
        if doc is None:  # not in this corpus, or taken out since
            raise KeyError(doc_id)
        with self._lock:
            self._kept[doc_id] = doc
            while len(self._kept) > self.KEEP:
                self._kept.popitem(last=False)
        return doc

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.headers

    def __iter__(self) -> Iterator[str]:
        return iter(self.headers)

    def __len__(self) -> int:
        return len(self.headers)


# a quoted finding's origin is sought in the paragraphs of the earlier report's chunks nearest it
ORIGIN_CHUNKS = 8
# most embedded texts handed on to the next corpus generation (~0.8 GB of 384-d vectors); past it the
# next generation starts afresh
CARRY_OVER_TEXTS = 500_000


class FollowThrough:
    """Links findings to later evidence. `embed` maps texts to unit vectors (the index's model);
    `passages(doc_id)`, where given, a document's chunk spans and their stored unit vectors (None
    when it has none); `earlier`, the instance for the corpus before, whose embedded texts and
    documents' status sentences still hold (a doc_id names one text)."""

    def __init__(self, findings: list[Finding], docs: Mapping[str, Document], embed,
                 passages: Callable[[str], tuple[list[tuple[int, int]], np.ndarray] | None] | None = None,
                 earlier: "FollowThrough | None" = None, weights: Settings | None = None):
        self.findings, self.docs, self.embed, self.passages = findings, docs, embed, passages
        self.weights = weights or Settings.defaults()  # the follow_* similarities
        # what every document has, without reading texts: the headers of Documents, or the documents
        self.headers: Mapping[str, Document] = docs.headers if isinstance(docs, Documents) else docs
        self._vec: dict[str, np.ndarray] = earlier._vec if earlier is not None else {}
        self._statements: dict[str, list[tuple[int, int, str, int | None, list[str]]]] = \
            {d: v for d, v in earlier._statements.items() if d in docs} if earlier is not None else {}
        self._tracked: dict[str, list[Tracked]] = {}  # per force: an instance lives for one corpus generation

    def can_carry_over(self) -> bool:
        """Whether the next corpus generation may start from what this one embedded and read (`earlier`)."""
        return len(self._vec) < CARRY_OVER_TEXTS

    def vectors(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vec]
        if missing:
            for t, v in zip(missing, self.embed(missing), strict=True):
                self._vec[t] = np.asarray(v)
        return np.array([self._vec[t] for t in texts]) if texts else np.zeros((0, 1))

    def sim(self, a: str, b: list[str]) -> np.ndarray:
        if not b:
            return np.zeros(0)
        v = self.vectors([a] + b)
        return v[1:] @ v[0]

    def track(self, force: str) -> list[Tracked]:
        if force not in self._tracked:
            self._tracked[force] = self._track(force)
        return self._tracked[force]

    def _track(self, force: str) -> list[Tracked]:
        mine = [f for f in self.findings if force in f.forces]
        docs = [self.docs[d] for d, h in self.headers.items() if force in h.forces]
        newest = max((d.year for d in docs if d.year), default=None)
        out = []
        groups: dict[str, list[Finding]] = {}
        for f in mine:
            if f.kind in TRACKED and f.quoted:
                groups.setdefault(f.group or f.finding_id, []).append(f)
        verdicts: dict[str, list[Evidence]] = {}
        for members in groups.values():
            if not self.docs[members[0].doc_id].is_response:
                verdicts.update(self._verdicts(members))
        for f in mine:
            if f.kind not in TRACKED:
                continue
            t = Tracked(f, as_of=newest)
            t.evidence = self._origin(f, docs) + verdicts.get(f.finding_id, []) + self._answers(f, mine)
            if f.audience not in ("national", "PCCs"):  # those are for others to act on, not this force
                t.evidence += self._later(f, docs, mine)
            self._position(t)
            out.append(t)
        return out

    # --- the report that quotes an earlier finding gives its verdict right after the list ----------

    def _verdicts(self, members: list[Finding]) -> dict[str, list[Evidence]]:
        w = self.weights
        members = sorted(members, key=lambda f: f.start)
        doc = self.docs.get(members[0].doc_id)
        if doc is None:
            return {}
        after = members[-1].end
        nxt = min((s.start for s in doc.sections if s.start > after), default=len(doc.text))
        paras = paragraphs(doc.text[after:nxt])
        found: dict[str, list[Evidence]] = {f.finding_id: [] for f in members}
        summary: list[tuple[int, int]] = []
        loose = []
        for p in paras:
            s, e = after + p.start, after + p.end
            k = ordinal_of(p.text)
            if k is not None and k < len(members):
                found[members[k].finding_id] += self._stated(doc, s, e, "verdict", members[k].text)
            elif re.match(r"(Overall|In summary|In conclusion)\b", p.text):
                summary.append((s, e))
            else:
                loose.append((s, e, p.text))
        if loose and len(members) > 1:
            # paragraphs without "with respect to the first issue": each to the item it is most about
            sims = np.array([self.sim(f.text, [t for _, _, t in loose]) for f in members])
            for j, (s, e, text) in enumerate(loose):
                bonus = np.array([w.follow_theme_bonus if f.theme in themes_of(text) else 0.0 for f in members])
                i = int(np.argmax(sims[:, j] + bonus))
                if sims[i, j] + bonus[i] >= w.follow_group_similarity:
                    found[members[i].finding_id] += self._stated(doc, s, e, "verdict", members[i].text)
        elif loose:
            s, e, _ = loose[0]
            found[members[0].finding_id] += self._stated(doc, s, e, "verdict", members[0].text)
        for s, e in summary:
            for f in members:
                found[f.finding_id] += self._stated(doc, s, e, "verdict", f.text, limit=1)
        return found

    def _stated(self, doc: Document, s: int, e: int, source: str, about: str, limit: int = 2) -> list[Evidence]:
        """The sentences of doc[s:e] that state a status (at most `limit`), else its first sentence."""
        spans = _sentences(doc, s, e)
        stated = [(a, b, signal(doc.text[a:b])) for a, b in spans]
        picked = [x for x in stated if x[2]][:limit] or stated[:1]
        sims = self.sim(about, [doc.text[a:b] for a, b, _ in picked])
        return [_evidence(doc, source, a, b, st, sim) for (a, b, st), sim in zip(picked, sims, strict=True)]

    # --- where a quoted finding was first made ------------------------------------------------------

    def _origin(self, f: Finding, docs: list[Document]) -> list[Evidence]:
        """For a finding quoted from an earlier report that is in the corpus, the passage of that report
        it came from, when one is close in meaning: what HMIC wrote at the time."""
        if not f.quoted or f.kind not in TRACKED:
            return []
        earlier = [d for d in docs if d.year == f.year and d.doc_id != f.doc_id and not d.is_response]
        best: tuple[float, Document, int, int] | None = None
        for doc, paras in self._near(f.text, earlier):
            sims = self.sim(f.text, [doc.text[a:b] for a, b in paras])
            for (a, b), sim in zip(paras, sims, strict=True):
                if best is None or sim > best[0]:
                    best = (float(sim), doc, a, b)
        if best is None or best[0] < self.weights.follow_origin_similarity:
            return []
        sim, doc, a, b = best
        return [_evidence(doc, "origin", a, b, None, sim)]

    def _near(self, text: str, docs: list[Document]) -> list[tuple[Document, list[tuple[int, int]]]]:
        """Each document's paragraphs of six words or more where `text` may have come from: those
        overlapping the ORIGIN_CHUNKS chunks of all `docs` nearest it by their stored vectors: embedding
        every paragraph of every earlier report of a force would be most of a first recommendation
        question's time at scale (docs/BENCHMARKS.md, "Scale"). A document without stored vectors has
        all its paragraphs read; so do all documents when they have few chunks between them."""
        paras = {d.doc_id: [(p.start, p.end) for p in paragraphs(d.text) if len(p.text.split()) >= 6] for d in docs}
        got = {d.doc_id: self.passages(d.doc_id) for d in docs} if self.passages else {}
        pooled = [(d, a, b, v) for d, p in got.items() if p is not None for (a, b), v in zip(*p, strict=True)]
        if len(pooled) <= ORIGIN_CHUNKS:
            return [(d, paras[d.doc_id]) for d in docs]
        sims = np.stack([v for *_, v in pooled]).astype(np.float32) @ self.vectors([text])[0]
        near: dict[str, list[tuple[int, int]]] = {}
        for i in np.argsort(-sims, kind="stable")[:ORIGIN_CHUNKS]:
            d, a, b, _ = pooled[i]
            near.setdefault(d, []).append((a, b))
        out = []
        for d in docs:
            if got.get(d.doc_id) is None:
                out.append((d, paras[d.doc_id]))
            elif d.doc_id in near:
                out.append((d, [(a, b) for a, b in paras[d.doc_id]
                                if any(a < e and s < b for s, e in near[d.doc_id])]))
        return out

    # --- later reports on the same force and theme -------------------------------------------------

    def statements(self, doc: Document) -> list[tuple[int, int, str, int | None, list[str]]]:
        """The document's sentences that state a status: (start, end, status, earliest year named, themes).
        Read once per document: every finding of its force is checked against them, and splitting and
        matching every sentence again per finding was half of a first recommendation question's 60 s
        at 100k chunks (docs/BENCHMARKS.md, "Scale")."""
        got = self._statements.get(doc.doc_id)
        if got is None:
            got = []
            for a, b in _sentences(doc, 0, len(doc.text)):
                text = doc.text[a:b]
                if st := signal(text):
                    years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", text)]
                    got.append((a, b, st, min(years, default=None), themes_of(text)))
            self._statements[doc.doc_id] = got
        return got

    def _later(self, f: Finding, docs: list[Document], mine: list[Finding]) -> list[Evidence]:
        out: list[Evidence] = []
        made = f.year or 0
        for doc in sorted(docs, key=lambda d: d.year or 0):
            if doc.doc_id == f.doc_id or (doc.year or 0) <= made:
                continue
            if doc.is_response:
                out += self._responses(f, doc, mine)
                continue
            later = [g for g in mine if g.doc_id == doc.doc_id and g.kind in TRACKED and not g.quoted
                     and g.theme in f.themes]
            for g, sim in zip(later, self.sim(f.text, [g.text for g in later]), strict=True):
                if sim >= self.weights.follow_similarity:  # asked again: the inspectorate still finds it wanting
                    out.append(_evidence(doc, "later finding", g.start, g.end, "limited progress", sim, g.finding_id))
            cands = [(a, b, st) for a, b, st, first, themes in self.statements(doc)
                     if (first is None or first > made) and f.theme in themes  # a look back is not progress
                     and not any(a < g.end and g.start < b for g in later)]
            sims = self.sim(f.text, [doc.text[a:b] for a, b, _ in cands])
            ranked = sorted(zip(cands, sims, strict=True), key=lambda x: -x[1])
            out += [_evidence(doc, "later report", a, b, st, sim) for (a, b, st), sim in ranked[:3]
                    if sim >= self.weights.follow_similarity]
        return out

    def _answers(self, f: Finding, mine: list[Finding]) -> list[Evidence]:
        """What the force's response says under this very recommendation."""
        doc = self.docs[f.doc_id]
        return [_evidence(doc, "force response", g.start, g.end, _response_signal(g.text), 1.0, g.finding_id)
                for g in mine if g.responds_to == f.finding_id]

    def _responses(self, f: Finding, doc: Document, mine: list[Finding]) -> list[Evidence]:
        """A force's response: the statements under the recommendation closest to this finding."""
        recs = [g for g in mine if g.doc_id == doc.doc_id and g.kind == "recommendation"
                and (g.theme in f.themes or f.theme in g.themes)]
        if not recs:
            return []
        sims = self.sim(f.text, [g.text for g in recs])
        best = int(np.argmax(sims))
        if sims[best] < self.weights.follow_similarity:
            return []
        rec = recs[best]
        answers = [g for g in mine if g.responds_to == rec.finding_id]
        return [_evidence(doc, "force response", g.start, g.end, _response_signal(g.text), sims[best], g.finding_id)
                for g in answers]

    # --- the latest position -------------------------------------------------------------------

    def _position(self, t: Tracked) -> None:
        stated = [e for e in t.evidence if e.status]
        if not stated:
            t.status, t.basis = "no evidence yet", "no later report or response on this theme for this force"
            return
        inspectorate = [e for e in stated if e.source != "force response"]
        pool = inspectorate or stated
        newest = max(e.year or 0 for e in pool)
        latest = [e for e in pool if (e.year or 0) == newest]
        t.status = combine([e.status for e in latest])
        t.basis_year = newest
        t.basis = (f"the force's own response ({newest})" if not inspectorate
                   else f"{latest[0].title} ({newest})")


def _response_signal(text: str) -> str | None:
    """A force's statement: its sentences' signals combined; present-tense activity ("is being
    developed", "takes place at the complaints meeting") is progress by the force's own account."""
    said = [x for a, b in sentence_spans(text) if (x := signal(text[a:b]))]
    s = combine(said) if said else None
    if s is None and re.search(r"\b(is|are) (currently )?(being|now)\b|currently|scheduled|takes place|managed through|"
                               r"provided through", text, re.I):
        return "progress"
    return s
