"""The answer pipeline: from a question (with its history and the caller's filters) to a cited Answer,
as named steps. Understand the question, retrieve, take the sentences the passages offer, score them,
let the policy decide (answer, caution, tracker, refuse), and compose; the LLM and the findings
tracker come after. `Assistant.ask` runs `Answering.ask`; this module is handed the index, the
settings, the corpus and two callables, never the Assistant."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from index.bm25 import tokenize
from index.records import Filters, Passage, Preferences
from index.store import Index
from ingest.chunk import quotable_spans

from . import answer_model, extractive, plainwords, policy, tracked_answer
from .corpus import IndexCorpus
from .errors import HmiqaError
from .followthrough import FollowThrough
from .query import Query, understand
from .records import Answer
from .settings import Settings
from .vocabulary import ANSWER_MODES, DROPPABLE

Search = Callable[..., list[Passage]]  # Assistant.search: (question, k=, filters=, prefer=) -> passages


@dataclass
class Retrieval:
    """What retrieval found: the understood query, the hard filters the caller set, the preferences
    inferred from the question, the text searched."""
    query: Query
    filters: Filters
    prefer: Preferences
    search_text: str
    passages: list[Passage]


def split_filters(q: Query, caller: Filters | None) -> tuple[Filters, Preferences]:
    """What the caller set is a filter (hard); what the question or conversation implies is a
    preference (soft): it ranks and never removes evidence."""
    def set_by_caller(name: str) -> bool:
        return q.sources.get(name) == "caller"
    hard = Filters(forces=list(q.forces) if set_by_caller("forces") else [],
                   year_from=q.year_from if set_by_caller("years") else None,
                   year_to=q.year_to if set_by_caller("years") else None,
                   programmes=list(q.programmes) if set_by_caller("programmes") else [],
                   kinds=list(caller.kinds) if caller else [], doc_ids=list(caller.doc_ids) if caller else [])
    prefer = Preferences(forces=[] if set_by_caller("forces") else list(q.forces),
                         year_from=None if set_by_caller("years") else q.year_from,
                         year_to=None if set_by_caller("years") else q.year_to,
                         programmes=[] if set_by_caller("programmes") else list(q.programmes))
    return hard, prefer


def filter_line(q: Query) -> str:
    """What restricted the answer (set by the caller) and what it preferred (implied by the
    question or the conversation), each with where it came from."""
    hard, prefer = split_filters(q, None)
    lines = []
    if parts := hard.describe(q.sources):
        lines.append("*Filters: " + "; ".join(parts) + ".*")
    if parts := prefer.as_filters().describe(q.sources):
        lines.append("*Preferred, not required: " + "; ".join(parts) + ".*")
    return "\n".join(lines) + "\n\n" if lines else ""


def timed(answer: Answer, t0: float, t1: float | None = None) -> Answer:
    end = time.perf_counter()
    answer.timings_ms = {"total": round((end - t0) * 1000, 1)}
    if t1:
        answer.timings_ms["retrieval"] = round((t1 - t0) * 1000, 1)
    return answer


class Answering:
    """Answers questions over one index. `search` is the validated search every surface uses;
    `follow_through` gives the findings followed through the corpus (for the tracker)."""

    def __init__(self, index: Index, settings: Settings, corpus: IndexCorpus, search: Search,
                 follow_through: Callable[[], FollowThrough]):
        self.index, self.settings, self.corpus = index, settings, corpus
        self.search, self.follow_through = search, follow_through
        self._llm = None  # built on first use of mode="llm", then reused
        self._model = answer_model.load(settings.answer_model)  # a wrong name fails at open, not at the first answer

    def ask(self, question: str, filters: Filters | None, history: list | None, mode: str, k: int,
            drop: tuple[str, ...] | list[str]) -> Answer:
        check_question(question, mode)
        t0 = time.perf_counter()
        r = self.retrieve(question, filters, history, k, drop)
        answer = self.start(question, mode, r)
        if r.query.unknown_forces:
            return timed(self.unknown_force(answer, r.query), t0)
        t1 = time.perf_counter()
        if (said := self.nothing_to_search(answer, r, k)) is not None:
            return timed(said, t0, t1)
        self.note_unknown_years(answer, r.filters)
        passages = self.widened(r, k)
        cands = self.scored(passages, r.query, question)
        tracked = self.tracked(question, r.query)
        decision = policy.decide(cands, self.settings, not r.prefer.is_empty(), bool(tracked))
        answer.evidence_score = round(decision.best, 4)
        if decision.action == policy.TRACKER:
            self.tracker_only(answer, r.query, tracked)
        elif decision.action == policy.REFUSE:
            self.refuse(answer, r.query, cands, decision)
        else:
            self.compose(answer, r, decision)
            if mode == "llm":
                self.llm_answer(answer, r.query, passages)
            if tracked:  # after the LLM too: its citations come first, the tracker's are numbered on
                self.add_tracked(answer, tracked)
        return timed(answer, t0, t1)

    # --- understanding and retrieval ---

    def understand(self, question: str, history: list | None = None, filters: Filters | None = None,
                   drop: tuple[str, ...] | list[str] = ()) -> Query:
        """The question's filters and topic, resolved against earlier turns; caller filters win.
        `drop` names inferred filters the user removed ("forces", "years", "programmes")."""
        years = self.index.distinct("year")
        types = self.index.distinct("programme")
        previous = None
        for turn in history or []:
            text = turn if isinstance(turn, str) else getattr(turn, "question", None) or turn.get("question", "")
            previous = understand(text, previous, max(years, default=None), types)
        q = understand(question, previous, max(years, default=None), types)
        unknown = set(drop) - set(DROPPABLE)
        if unknown:
            raise HmiqaError(f"cannot remove filter(s) {sorted(unknown)}; removable: {', '.join(DROPPABLE)}")
        if "forces" in drop:
            q.forces, q.unknown_forces = [], []
            q.sources.pop("forces", None)
        if "years" in drop:
            q.year_from = q.year_to = None
            q.sources.pop("years", None)
        if "programmes" in drop:
            q.programmes = []
            q.sources.pop("programmes", None)
        if filters is not None:
            if filters.forces:
                q.forces, q.sources["forces"] = list(filters.forces), "caller"
            if filters.year_from is not None or filters.year_to is not None:
                q.year_from, q.year_to, q.sources["years"] = filters.year_from, filters.year_to, "caller"
            if filters.programmes:
                q.programmes, q.sources["programmes"] = list(filters.programmes), "caller"
        return q

    def retrieve(self, question: str, filters: Filters | None = None, history: list | None = None,
                 k: int = 8, drop: tuple[str, ...] | list[str] = ()) -> Retrieval:
        """The passages an answer is built from; progress questions look a little wider."""
        q = self.understand(question, history, filters, drop)
        hard, prefer = split_filters(q, filters)
        # the question as asked: its force names, years and report names are evidence too (measured on
        # the seeds and realdev: eval/RESULTS.md); a follow-up ("and Hampshire?") searches its carried topic
        query = " ".join([q.topic] + q.forces) if q.sources.get("topic") == "conversation" else question
        if q.intent == "recommend":
            query += " recommendation should"
        if words := plainwords.search_words(question):
            query += " " + words  # "worried" finds "concerned" (assistant/plainwords.py)
        if q.unknown_forces:
            return Retrieval(q, hard, prefer, query, [])
        passages = self.search(query, k=k + 4 if q.intent == "progress" else k, filters=hard, prefer=prefer)
        return Retrieval(q, hard, prefer, query, passages)

    def start(self, question: str, mode: str, r: Retrieval) -> Answer:
        """The answer record before any sentence: the question, what was understood and required."""
        q, applied = r.query, r.filters
        understood = Filters(forces=q.forces, year_from=q.year_from, year_to=q.year_to, programmes=q.programmes,
                             kinds=applied.kinds, doc_ids=applied.doc_ids)
        return Answer(question=question, answer="", mode=mode,
                      filters={**understood.to_dict(), "topic": q.topic, "intent": q.intent, "sources": q.sources,
                               "required": applied.to_dict(), "preferred": not r.prefer.is_empty()})

    def widened(self, r: Retrieval, k: int) -> list[Passage]:
        """A timeline wants every report on the subject: the subject alone finds the ones the
        question's other words ("progress", "since") rank lower."""
        q, passages = r.query, r.passages
        if q.intent != "progress" or not q.topic or q.sources.get("topic") == "conversation":
            return passages
        seen = {p.chunk_id for p in passages}
        return passages + [p for p in self.search(" ".join([q.topic] + q.forces), k=k + 4, filters=r.filters,
                                                  prefer=r.prefer) if p.chunk_id not in seen]

    # --- what stops an answer before scoring ---

    def unknown_force(self, answer: Answer, q: Query) -> Answer:
        answer.refused = True
        answer.answer = (f"hmiqa does not know a police force called {', '.join(q.unknown_forces)}. "
                         "Name one of the forces of England and Wales.")
        return answer

    def nothing_to_search(self, answer: Answer, r: Retrieval, k: int) -> Answer | None:
        """The caller's filters left no passage, or the question prefers a force no indexed report is
        about: say so, and show the closest evidence labelled. None when there is evidence to score."""
        if not r.passages and not r.filters.is_empty():
            return self.emptied(answer, r.query, r.filters, r.search_text, k)
        covered = set(self.index.distinct("forces")) if r.prefer.forces else set()
        absent = [f for f in r.prefer.forces if f not in covered]
        if absent and r.passages:
            return self.emptied(answer, r.query, replace(r.filters, forces=absent), r.search_text, k,
                                preferred=r.prefer)
        return None

    def note_unknown_years(self, answer: Answer, applied: Filters) -> None:
        if applied.has_years and (left_out := applied.left_out(self.index.columns())):
            answer.notices.append(f"{left_out} report(s) with no known year were left out by the year filter")

    def emptied(self, answer: Answer, q: Query, applied: Filters, query: str, k: int,
                preferred: Preferences | None = None) -> Answer:
        """Say which filter (or preferred force) left no evidence, and show the best evidence
        without it, labelled."""
        answer.refused = True
        culprit, relaxed = None, None
        for name, loosened in (("force", replace(applied, forces=[])),
                               ("years", replace(applied, year_from=None, year_to=None)),
                               ("programme", replace(applied, programmes=[])),
                               ("kind", replace(applied, kinds=[]))):
            if loosened != applied and self.search(query, k=1, filters=loosened):
                culprit, relaxed = name, loosened
                break
        covered = {"force": ", ".join(self.index.distinct("forces")),
                   "years": ", ".join(map(str, self.index.distinct("year"))),
                   "programme": ", ".join(self.index.distinct("programme")),
                   "kind": ", ".join(self.index.distinct("kind"))}
        if culprit is None:
            answer.answer = filter_line(q) + "No indexed report matches these filters."
            return answer
        wanted = {"force": ", ".join(applied.forces),
                  "years": f"{applied.year_from or '…'}–{applied.year_to or '…'}",
                  "programme": ", ".join(applied.programmes), "kind": ", ".join(applied.kinds)}[culprit]
        answer.notices.append(f"no evidence for {culprit} {wanted}; the index covers {culprit} {covered[culprit]}")
        rest = replace(preferred, forces=[]) if preferred is not None else None
        passages = self.search(query, k=k, filters=relaxed, prefer=rest)
        cands = self.scored(passages, q, q.question)
        chosen = extractive.select(cands, limit=self.settings.emptied_sentences, per_doc=1,
                                   floor=self.settings.quote_floor, duplicate=self.settings.duplicate_cosine)
        body, answer.sentences, answer.citations = extractive.compose(chosen, False, self.corpus)
        answer.answer = (filter_line(q) + f"The indexed reports have nothing for {culprit} {wanted} "
                         f"(they cover {covered[culprit]}).\n\n"
                         + (f"**Closest evidence without the {culprit} filter (not about {wanted}):**\n" + body
                            if chosen else ""))
        return answer

    # --- sentences and their scores ---

    def with_continuations(self, passages: list[Passage]) -> list[Passage]:
        """A passage that ends on a lead-in ("…set out three recommendations:") brings the chunk after it,
        which holds the items, scored as the passage that introduced them."""
        have = {p.chunk_id for p in passages}
        out = list(passages)
        for p in passages:
            spans = quotable_spans(p.text)
            if not spans or not extractive.LEAD_IN_RE.search(p.text[spans[-1][0]:spans[-1][1]]):
                continue
            nxt = self.corpus.chunk(f"{p.doc_id}:{p.ordinal + 1:04d}")
            if nxt is not None and nxt.chunk_id not in have:
                have.add(nxt.chunk_id)
                out.append(Passage.of(nxt, p.score, p.rank, dict(p.scores), p.meets_preferences, p.meets_force))
        return out

    def candidates(self, passages: list[Passage]) -> list[extractive.Candidate]:
        """The sentences an answer may quote, with the vectors ingest stored for them (a sentence
        without one, from an index built before they were stored, is embedded when scored)."""
        cands = extractive.candidates(passages, self.corpus.headings({p.doc_id for p in passages}))
        stored = self.index.sentence_vectors([p.chunk_id for p in passages])
        tables: dict[str, dict] = {}
        for c in cands:
            if (sv := stored.get(c.passage.chunk_id)) is not None:
                table = tables.get(sv.chunk_id) or tables.setdefault(sv.chunk_id, sv.lookup())
                c.vector = table.get((c.start - c.passage.start, c.end - c.passage.start))
        return cands

    def scored(self, passages: list[Passage], q: Query, question: str) -> list[extractive.Candidate]:
        """The sentences of `passages` (and the list items their lead-ins announce), each scored by the
        hand-set rules and then by the answer model, whose probability is what the answer goes by."""
        cands = self.candidates(self.with_continuations(passages))
        boiler = self.index.boilerplate()
        embed_query = self.index.embedder.embed_query
        extractive.score(cands, q.topic, question, self.index.embedder.embed, progress=q.intent == "progress",
                         embed_query=embed_query, boilerplate=boiler, weights=self.settings)
        if cands:
            topic, asked = embed_query(q.topic or question), embed_query(question)
            v = topic + asked
            bm25 = self.index.bm25
            chunks = self.index.chunk_map()
            ctx = answer_model.Context(question, v / np.linalg.norm(v), topic / np.linalg.norm(topic),
                                       asked / np.linalg.norm(asked), extractive.concepts(q.topic, question),
                                       bm25.idf(question) if bm25 is not None else {},
                                       bm25.idf(q.topic or question) if bm25 is not None else {}, tokenize, boiler,
                                       chunks.count_of, q.intent == "progress", q.intent == "recommend")
            answer_model.apply(self._model, cands, ctx)
        return cands

    def use_model(self, model: answer_model.AnswerModel | None) -> None:
        """Answer by `model` from now on (None: the one the settings name); evaluation swaps in the
        model of the cross-validation fold that did not see a question's publication."""
        self._model = model if model is not None else answer_model.load(self.settings.answer_model)

    # --- the policy's outcomes ---

    def tracked(self, question: str, q: Query) -> list:
        if not tracked_answer.wanted(question, q):
            return []
        return tracked_answer.matching(self.follow_through(), q, question)

    def tracker_only(self, answer: Answer, q: Query, tracked: list) -> None:
        """The passages are weak but the findings store has the recommendations asked about."""
        body, answer.sentences, answer.citations = tracked_answer.section(self.corpus, tracked, [])
        answer.answer = filter_line(q) + body.strip()

    def refuse(self, answer: Answer, q: Query, cands: list[extractive.Candidate], decision: policy.Decision) -> None:
        answer.refused = True
        closest = extractive.select(cands, limit=self.settings.closest_sentences, per_doc=2, floor=float("-inf"),
                                    duplicate=self.settings.duplicate_cosine)
        answer.closest, _ = extractive.cite([extractive.clause(c) for c in closest], self.corpus.page)
        answer.answer = filter_line(q) + policy.refusal(q.question, cands, self.settings, bool(answer.closest))

    def compose(self, answer: Answer, r: Retrieval, decision: policy.Decision) -> None:
        q, s = r.query, self.settings
        cands = decision.pool
        if decision.relaxed:
            wanted = "; ".join(r.prefer.as_filters().describe())
            answer.notices.append(f"relaxed {wanted}: the reports that match it answer less well than others, "
                                  "so the answer also quotes reports outside it")
        if q.intent == "recommend":
            cands = [c for c in cands if extractive.RECOMMENDATION_RE.search(c.text)] or cands
        top = max((c.score for c in cands), default=0.0)
        timeline = q.intent == "progress"
        if timeline:
            # a timeline wants each year's change and position, not the one sentence that answers: the
            # answer model was fitted on questions with one answer (realdev has few progress questions),
            # so a timeline chooses by the hand-set score, whose change and figures bonuses weigh what
            # changed (the seed vetting timeline, eval/RESULTS.md)
            cands = [replace(c, score=c.hand, also=[]) for c in cands]
            best = max((c.score for c in cands), default=0.0)
            chosen = extractive.select_per_report(cands, per_doc=s.timeline_per_report, margin=s.timeline_margin,
                                                  floor=max(s.timeline_floor, best - s.timeline_margin),
                                                  duplicate=s.duplicate_cosine)
        else:
            chosen = extractive.select(cands, limit=s.answer_sentences, per_doc=s.per_report,
                                       floor=max(s.quote_floor, top * s.answer_ratio), duplicate=s.duplicate_cosine)
        # a weak answer states nothing in its first line: what it quotes may not answer
        stating = q.question if decision.action == policy.ANSWER else ""
        body, answer.sentences, answer.citations = extractive.compose(chosen, timeline, self.corpus, stating)
        caution = "*Relaxed what the question implied: the best evidence is outside it.*\n\n" if decision.relaxed else ""
        if decision.action == policy.CAUTION:
            answer.notices.append(policy.CAUTION_NOTICE)
            caution += "*The closest passages are quoted below; they may not answer the question.*\n\n"
        answer.answer = filter_line(q) + caution + body

    def add_tracked(self, answer: Answer, tracked: list) -> None:
        extra, sentences, citations = tracked_answer.section(self.corpus, tracked, answer.citations)
        answer.answer += "\n" + extra
        answer.sentences += sentences
        answer.citations += citations

    def llm_answer(self, answer: Answer, q: Query, passages: list[Passage]) -> None:
        """Replace the extractive answer by the LLM's, checked; keep the extractive one on failure."""
        from . import llm

        try:
            if self._llm is None:
                self._llm = llm.build(self.settings)
            text = llm.generate(self._llm, q.question, passages)
        except llm.LLMUnavailable as e:
            answer.mode = "extractive"
            answer.notices.append(f"LLM unavailable ({e}); this is the extractive answer")
            answer.answer = f"*LLM unavailable; showing the extractive answer.*\n\n{answer.answer}"
            return
        body, sentences, citations, notices = llm.check(text, passages, self.corpus.page)
        answer.answer = filter_line(q) + body
        answer.sentences, answer.citations = sentences, citations
        answer.notices.extend(notices)


def check_question(question: str, mode: str) -> None:
    if not question or not question.strip():
        raise HmiqaError("the question is empty; type what you want to know")
    if mode not in ANSWER_MODES:
        raise HmiqaError(f"unknown answer mode '{mode}'; choose one of: {', '.join(ANSWER_MODES)}")
