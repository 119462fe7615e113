"""`Assistant`: the one object every surface (CLI, app, API) calls."""
from __future__ import annotations

import errno
import functools
import threading
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from index import offline

offline.enforce()

from ingest import forces as force_table  # noqa: E402
from ingest.chunk import quotable_spans  # noqa: E402
from ingest.findings import THEMES, Finding  # noqa: E402
from ingest.pipeline import IngestReport, ingest  # noqa: E402
from ingest.programmes import KINDS, PROGRAMMES  # noqa: E402
from ingest.records import Document  # noqa: E402
from index.embed import ModelError  # noqa: E402
from index.records import Filters, Passage, Preferences  # noqa: E402
from index.retrieve import UnknownRetriever, get_retriever  # noqa: E402
from index.store import Index, IndexMismatch  # noqa: E402
from index.vectors import ChromaUnavailable, http_client  # noqa: E402

from . import extractive, plainwords, policy, tracked_answer, uploads  # noqa: E402
from .backfill import SentenceBackfill  # noqa: E402
from .brief import Brief, build as build_brief  # noqa: E402
from .followthrough import Documents, FollowThrough  # noqa: E402
from .query import Query, understand  # noqa: E402
from .records import Answer  # noqa: E402
from .settings import Settings, SettingsError  # noqa: E402

MODES = ("extractive", "llm")
DROPPABLE = ("forces", "years", "programmes")
CLOSEST = 3  # sentences a refusal lists, best first, at most two from one report (refused_shown: seeds 0.17 -> 0.33 against one)


class HmiqaError(Exception):
    """A problem the user can fix; the message says how."""


class StoreUnavailable(HmiqaError):
    """The Chroma server holding the index cannot be reached."""


class StoreFull(HmiqaError):
    """The device holding the index has no space left."""


_CONNECTION_ERRORS = {"ConnectError", "ConnectTimeout", "ReadError", "ReadTimeout", "WriteError",
                      "RemoteProtocolError", "TransportError", "ChromaUnavailable"}


def _store_error(self: "Assistant", e: Exception) -> HmiqaError | None:
    """What a failure of the stores under the index means to the person who asked, or None."""
    text = f"{type(e).__name__}: {e}"
    if (isinstance(e, OSError) and e.errno == errno.ENOSPC) or "No space left on device" in text \
            or "database or disk is full" in text:
        return StoreFull(f"no space left on the device holding the index ({self.settings.index}); free some space "
                         "and run it again (what an interrupted write left is repaired by the next ingest; "
                         "what was indexed before is intact)")
    if self.index.server and any(c.__name__ in _CONNECTION_ERRORS for c in type(e).__mro__):
        return StoreUnavailable(f"the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port} "
                                f"cannot be reached ({type(e).__name__}); start it (`chroma run`) or point "
                                "HMIQA_CHROMA_HOST/HMIQA_CHROMA_PORT at it, then try again")
    return None


@contextmanager
def _stores(self: "Assistant"):
    try:
        yield
    except HmiqaError:
        raise
    except Exception as e:
        mapped = _store_error(self, e)
        if mapped is None:
            raise
        raise mapped from e


@dataclass
class Retrieval:
    """What `Assistant.retrieve` found: the understood query, the hard filters the caller set, the
    preferences inferred from the question, the text searched."""
    query: Query
    filters: Filters
    prefer: Preferences
    search_text: str
    passages: list[Passage]


def reads(fn):
    """A reader: one corpus from its start to its end, side by side with other readers. A change
    another process made is picked up first (never halfway through a reader)."""
    @functools.wraps(fn)
    def run(self: "Assistant", *args, **kwargs):
        with _stores(self):
            if not self.index.lock.holding() and not self._writing:
                self.refresh()
            with self.index.lock.read():
                return fn(self, *args, **kwargs)
    return run


def writes(fn):
    """A writer: one at a time on an index, across processes (index/writer_lock.py). Readers go on
    meanwhile with the corpus as it was; the index swaps in the new one when the write settles
    (index/locks.py)."""
    @functools.wraps(fn)
    def run(self: "Assistant", *args, **kwargs):
        with _stores(self), self._backfill.giving_way(), self.index.writer.hold(waiting=self.on_writer_wait):
            self._writing += 1
            try:
                return fn(self, *args, **kwargs)
            finally:
                self._writing -= 1
                self._docs.clear()
    return run


class Assistant:
    """What every surface calls. Safe to share between threads: many readers at once (ask, search,
    brief, documents...), writers (ingest, upload, remove) one at a time and never seen half-done."""

    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings
        self._writing = 0
        # called once when a write has to wait for another process's (the CLI says so)
        self.on_writer_wait: Callable[[], None] | None = None
        self._docs: dict[str, Document] = {}
        self._llm = None  # built on first use of mode="llm", then reused
        self._follow: tuple[int, FollowThrough] | None = None  # per corpus generation: it caches embeddings
        self._backfill = SentenceBackfill(index)  # sentence vectors, stored after a write returns

    @classmethod
    def open(cls, index_dir: str | Path | None = None, **overrides) -> "Assistant":
        try:
            settings = Settings.load(index=str(index_dir) if index_dir else None, **overrides)
            chroma = None
            if settings.chroma_host:
                chroma = http_client(settings.chroma_host, settings.chroma_port, settings.chroma_ssl,
                                     settings.chroma_token)
            index = Index(Path(settings.index), settings.embedding_model, chroma=chroma,
                          device=settings.embedding_device, batch_size=settings.embedding_batch_size,
                          backend=settings.embedding_backend, model_cache=settings.model_cache)
            return cls(index, settings)
        except (SettingsError, IndexMismatch, ModelError, ChromaUnavailable) as e:
            raise HmiqaError(str(e)) from None

    def warm_up(self) -> None:
        """Pay every one-time cost (model load, first batches through it, chunk map, BM25, catalog
        reads) now, so the first person to ask gets a warm answer. The model loads on a thread of its
        own while the corpus is read: importing it is seconds of Python, reading a large corpus is
        seconds more, much of it in SQLite and Chroma, outside the interpreter lock."""
        failed: list[BaseException] = []

        def load() -> None:
            try:
                self.index.embedder.embed(["warm up"])
            except Exception as e:  # noqa: BLE001 - raised in the caller's thread after the join
                failed.append(e)

        model = threading.Thread(target=load, name="hmiqa-model")
        model.start()
        try:
            _ = self.index.chunk_map(), self.index.bm25, self.index.columns()
            self.index.vectors.warm_up()
        finally:
            model.join()
        if failed:
            raise failed[0]
        if self.index.catalog.count():
            self.ask("What progress has been made on vetting since 2014?")
            self.follow_through()  # findings and the sentences they are followed to, embedded once

    def refresh(self) -> None:
        """Notice documents another process added or removed (a shared Chroma server, or `hmiqa
        ingest` beside a running app) before answering. Readers call it on entry, never inside."""
        if not self.index.lock.holding() and self.index.refresh():
            self._docs.clear()

    def close(self, wait: bool = True) -> None:
        """Close the index, once the sentence vectors writes left to the background are stored (or,
        with `wait` False, after the group being stored: the next ingest stores the rest)."""
        if wait:
            self._backfill.wait()
        self._backfill.stop()
        self.index.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the work writes leave to the background is done (the sentence vectors of the documents
        they added, assistant/backfill.py): True, or False if `timeout` seconds pass first. Answers
        do not need it; a script that times answers, or exits at once, may."""
        return self._backfill.wait(timeout)

    def index_writer(self) -> int | None:
        """The process id of whoever is writing to this index now (another ingest), or None."""
        return self.index.writer.holder()

    @writes
    def ingest(self, paths: list[str | Path], prune: bool = False,
               progress: Callable[[int, int, str, str], None] | None = None) -> IngestReport:
        """Index these files and folders; returns when the documents are searchable and answerable.
        Their sentence vectors (which make answers faster) are stored in the background: `wait()`."""
        self._docs.clear()
        report = ingest(self.index, [Path(p) for p in paths], prune=prune,
                        max_tokens=self.settings.chunk_tokens, max_text_mb=self.settings.max_document_mb,
                        progress=progress, sentences=False)
        self._backfill.request()  # also what an interrupted earlier run left
        return report

    @writes
    def upload(self, name: str, data: bytes) -> uploads.UploadResult:
        """Check, save under the index's uploads/ folder and ingest one report that arrived as bytes (the
        app's uploader, the API). Raises uploads.UploadRejected (type, size, empty) before touching anything;
        a file that fails to ingest leaves the index, and an earlier upload of the same name, as they were."""
        return uploads.add_upload(self, name, data)

    @reads
    def documents(self) -> list[Document]:
        docs = self.index.catalog.documents()
        for d in docs:
            d.n_chunks = self.index.catalog.chunk_count(d.doc_id)
        return docs

    @reads
    def document(self, doc_id: str) -> Document:
        doc = self.index.catalog.document(doc_id)
        if doc is None:
            raise HmiqaError(f"no document with id '{doc_id}'; `hmiqa docs` lists them")
        doc.n_chunks = self.index.catalog.chunk_count(doc_id)
        return doc

    @writes
    def remove(self, doc_id: str) -> Document:
        """Take a document out of the index (catalog, vectors, BM25); its file is left alone."""
        doc = self.document(doc_id)
        self.index.remove([doc_id])
        self.index.settle()
        self._docs.pop(doc_id, None)
        return doc

    @reads
    def covered(self, field: str) -> list:
        """What the indexed reports cover: their distinct forces, years, programmes or kinds."""
        if field == "forces":
            return self.index.distinct("forces")
        if field not in ("year", "programme", "kind"):
            raise HmiqaError(f"unknown field '{field}'; choose forces, year, programme or kind")
        return self.index.distinct(field)

    @reads
    def passages(self) -> Mapping:
        """Every indexed passage by chunk id, to show a citation inside its passage."""
        return self.index.chunk_map()

    def store(self) -> dict:
        """The embedding model and where the vectors live (for readiness checks)."""
        return {"embedding_model": self.index.embedder.name,
                "store": "chroma server" if self.index.server else "embedded"}

    def stats(self) -> dict:
        return self.index.stats()

    @reads
    def filters(self, forces: list[str] | None = None, year_from: int | None = None,
                year_to: int | None = None, programmes: list[str] | None = None,
                kinds: list[str] | None = None, doc_ids: list[str] | None = None) -> Filters:
        """Validated filters: force names resolved, unknown programmes or kinds and bad ranges refused."""
        try:
            resolved = [force_table.resolve(f) for f in (forces or [])]
        except force_table.UnknownForce as e:
            raise HmiqaError(str(e)) from None
        if year_from and year_to and year_from > year_to:
            raise HmiqaError(f"the year range {year_from}–{year_to} is empty: --from must not be after --to")
        for name, values, vocabulary in (("programme", programmes, PROGRAMMES), ("kind", kinds, KINDS)):
            bad = [v for v in values or [] if v not in vocabulary]
            if bad:
                raise HmiqaError(f"unknown {name} {bad}; use one of: {', '.join(vocabulary)} "
                                 f"(the index has: {', '.join(self.index.distinct(name)) or 'no documents'})")
        return Filters(forces=resolved, year_from=year_from, year_to=year_to, programmes=list(programmes or []),
                       kinds=list(kinds or []), doc_ids=list(doc_ids or []))

    @reads
    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               retriever: str | None = None, prefer: Preferences | None = None) -> list[Passage]:
        """Passages for `question`: `filters` remove (hard), `prefer` only ranks (soft)."""
        if not question or not question.strip():
            raise HmiqaError("the question is empty; type what you want to find")
        k = k or self.settings.k
        if not 1 <= k <= 100:
            raise HmiqaError(f"k={k} is out of range; ask for 1 to 100 passages")
        try:
            name = retriever or self.settings.retriever
            options = dict(fusion=self.settings.fusion, rrf_k=self.settings.rrf_k, alpha=self.settings.alpha,
                           doc_weight=self.settings.doc_weight, prefer_weight=self.settings.prefer_weight) \
                if name == "hybrid" else {}
            r = get_retriever(name, self.index, **options)
        except UnknownRetriever as e:
            raise HmiqaError(str(e)) from None
        return r.search(question, k=k, filters=filters, prefer=prefer)

    # --- findings: recommendations, areas for improvement, grades, and what became of them ---

    @reads
    def resolve_force(self, force: str) -> str:
        """A force named as users name it ("Cambs", "Hampshire Constabulary"), checked against the corpus."""
        if not force or not force.strip():
            raise HmiqaError("name a force, e.g. --force Cambridgeshire")
        try:
            name = force_table.resolve(force)
        except force_table.UnknownForce as e:
            raise HmiqaError(str(e)) from None
        covered = self.index.distinct("forces")
        if name not in covered:
            raise HmiqaError(f"no indexed report is about {name}; the index covers: "
                             f"{', '.join(covered) or 'no forces yet (ingest some reports)'}")
        return name

    @staticmethod
    def resolve_themes(themes: list[str] | None) -> list[str]:
        names = [n for n, _ in THEMES]
        out = []
        for t in themes or []:
            hits = [n for n in names if t.strip().lower() in n]
            if not hits or not t.strip():
                raise HmiqaError(f"unknown theme '{t}'; themes: {', '.join(names)}")
            out += hits
        return list(dict.fromkeys(out))

    @reads
    def findings(self, force: str | None = None, kinds: list[str] | tuple[str, ...] | None = None,
                 themes: list[str] | None = None) -> list[Finding]:
        """Findings extracted from the indexed reports, optionally for one force, kinds and themes."""
        self.index.sync_findings()
        name = self.resolve_force(force) if force else None
        wanted = self.resolve_themes(themes)
        return [f for f in self.index.findings.all(tuple(kinds) if kinds else None)
                if (name is None or name in f.forces) and (not wanted or any(t in f.themes for t in wanted))]

    @reads
    def follow_through(self) -> FollowThrough:
        changed = self.index.sync_findings()
        gen = self.index.catalog.generation()
        if self._follow is None or self._follow[0] != gen or changed:
            docs = Documents(self.index.catalog.headers(), self.index.catalog.document)
            # what was read for the corpus before stays valid: a new report does not make the next
            # question embed every earlier paragraph again (bounded: ~0.8 GB of vectors at the cap)
            earlier = self._follow[1] if self._follow is not None else None
            earlier = earlier if earlier is not None and len(earlier._vec) < 500_000 else None
            self._follow = (gen, FollowThrough(self.index.findings.all(), docs, self.index.embedder.embed,
                                               passages=self._passages, earlier=earlier))
        return self._follow[1]

    def _passages(self, doc_id: str):
        """A document's chunk spans and stored chunk vectors (follow-through's shortlist), or None."""
        chunks = self.index.chunk_map().of_document(doc_id)
        dim = self.index.embedder.dimension
        stored = self.index.catalog.chunk_vectors([doc_id], dim).get(doc_id)
        if not chunks or stored is None or max(c.ordinal for c in chunks) >= len(stored):
            return None
        return [(c.start, c.end) for c in chunks], stored[[c.ordinal for c in chunks]]

    @reads
    def brief(self, force: str, themes: list[str] | None = None, since: int | None = None) -> Brief:
        """The fieldwork brief for `force`: grades over time, recommendations and areas for improvement
        with their follow-through, what the force said it did, and lines of enquiry; all cited."""
        name = self.resolve_force(force)
        wanted = self.resolve_themes(themes)
        if since is not None and not 1900 <= since <= 2100:
            raise HmiqaError(f"--since {since} is not a year; give one such as 2014")
        ft = self.follow_through()
        judgments = [f for f in ft.findings if f.kind == "judgment" and name in f.forces]
        return build_brief(name, ft.track(name), judgments, ft.docs, self.chunk_at, themes=wanted, since=since)

    @reads
    def chunk_at(self, doc_id: str, start: int, end: int):
        """The chunk holding most of doc_id[start:end], so a citation opens at its passage."""
        best, overlap = None, 0
        for c in self.index.chunk_map().of_document(doc_id):
            o = min(end, c.end) - max(start, c.start)
            if o > overlap:
                best, overlap = c, o
        return best



    # --- answering -------------------------------------------------------------------------

    def _doc(self, doc_id: str) -> Document:
        """A cited document's record (without its text), as the corpus being read has it."""
        doc = self._docs.get(doc_id) or self.index.header(doc_id) or self.document(doc_id)
        self._docs[doc_id] = doc
        return doc

    def boilerplate(self) -> set[int]:
        """Keys of the sentence shapes several reports print word for word."""
        return self.index.boilerplate()

    def _headings(self, passages: list[Passage]) -> dict[str, set[str]]:
        """Each cited document's title and section headings, lower-cased: never quoted as findings."""
        out = {}
        for doc_id in {p.doc_id for p in passages}:
            doc = self._doc(doc_id)
            out[doc_id] = {" ".join(t.split()).lower() for t in [doc.title] + [s.title for s in doc.sections]}
        return out

    def page(self, doc_id: str, offset: int) -> int | None:
        return self._doc(doc_id).page_at(offset)

    def period(self, doc_id: str) -> str | None:
        return self._doc(doc_id).period

    @reads
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

    @reads
    def retrieve(self, question: str, filters: Filters | None = None, history: list | None = None,
                 k: int = 8, drop: tuple[str, ...] | list[str] = ()) -> Retrieval:
        """The passages an answer is built from: filters and topic understood from the question (and
        earlier turns), caller filters winning; progress questions look a little wider."""
        q = self.understand(question, history, filters, drop)
        hard, prefer = self.split_filters(q, filters)
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

    @staticmethod
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

    @reads
    def ask(self, question: str, filters: Filters | None = None, history: list | None = None,
            mode: str = "extractive", k: int = 8, drop: tuple[str, ...] | list[str] = ()) -> Answer:
        if not question or not question.strip():
            raise HmiqaError("the question is empty; type what you want to know")
        if mode not in MODES:
            raise HmiqaError(f"unknown answer mode '{mode}'; choose one of: {', '.join(MODES)}")
        t0 = time.perf_counter()
        r = self.retrieve(question, filters=filters, history=history, k=k, drop=drop)
        q, applied, prefer, query, passages = r.query, r.filters, r.prefer, r.search_text, r.passages
        understood = Filters(forces=q.forces, year_from=q.year_from, year_to=q.year_to, programmes=q.programmes,
                             kinds=applied.kinds, doc_ids=applied.doc_ids)
        answer = Answer(question=question, answer="", mode=mode,
                        filters={**understood.to_dict(), "topic": q.topic, "intent": q.intent, "sources": q.sources,
                                 "required": applied.to_dict(), "preferred": not prefer.is_empty()})
        if q.unknown_forces:
            answer.refused = True
            answer.answer = (f"hmiqa does not know a police force called {', '.join(q.unknown_forces)}. "
                             "Name one of the forces of England and Wales.")
            return self._timed(answer, t0)
        timeline = q.intent == "progress"
        t1 = time.perf_counter()
        if not passages and not applied.is_empty():
            return self._timed(self._emptied(answer, q, applied, query, k), t0, t1)
        covered = set(self.index.distinct("forces")) if prefer.forces else set()
        absent = [f for f in prefer.forces if f not in covered]
        if absent and passages:  # a force no indexed report is about: say so, label what is shown
            return self._timed(self._emptied(answer, q, replace(applied, forces=absent), query, k,
                                             preferred=prefer), t0, t1)
        if applied.has_years and (left_out := applied.left_out(self.index.columns())):
            answer.notices.append(f"{left_out} report(s) with no known year were left out by the year filter")
        if timeline and q.topic and q.sources.get("topic") != "conversation":
            # a timeline wants every report on the subject: the subject alone finds the ones the
            # question's other words ("progress", "since") rank lower
            seen = {p.chunk_id for p in passages}
            passages = passages + [p for p in self.search(" ".join([q.topic] + q.forces), k=k + 4, filters=applied,
                                                          prefer=prefer) if p.chunk_id not in seen]
        cands = self._candidates(self._with_continuations(passages))
        extractive.score(cands, q.topic, question, self.index.embedder.embed, progress=timeline,
                         embed_query=self.index.embedder.embed_query,
                         boilerplate=self.boilerplate(), rank_weight=self.settings.rank_weight)
        tracked = tracked_answer.matching(self, q, question) if tracked_answer.wanted(question, q) else []
        decision = policy.decide(cands, self.settings, not prefer.is_empty(), bool(tracked))
        best = decision.best
        answer.evidence_score = round(best, 4)
        if decision.action == policy.TRACKER:
            # the passages are weak but the findings store has the recommendations asked about
            body, answer.sentences, answer.citations = tracked_answer.section(self, tracked, [])
            answer.answer = self._filter_line(q) + body.strip()
            return self._timed(answer, t0, t1)
        if decision.action == policy.REFUSE:
            answer.refused = True
            answer.closest, _ = extractive.cite(extractive.select(cands, limit=CLOSEST, per_doc=2,
                                                                  floor=float("-inf")), self.page)
            near = policy.evidence(cands, self.settings.dense_weight, typed_only=False)
            lacking = extractive.lacking(question)
            if lacking and near >= self.settings.refuse_below:
                answer.answer = (self._filter_line(q) + f"The indexed reports discuss this but give no {lacking} "
                                 f"(the closest passage without one scored {near:.2f}).")
            else:
                answer.answer = (self._filter_line(q) + "The indexed reports do not answer this"
                                 + (f" (closest match scored {best:.2f})." if cands else "."))
            if answer.closest:
                answer.answer += " The closest passages are listed; they may not answer it."
            return self._timed(answer, t0, t1)
        cands = decision.pool
        if decision.relaxed:
            wanted = "; ".join(prefer.as_filters().describe())
            answer.notices.append(f"relaxed {wanted}: the reports that match it answer less well than others, "
                                  "so the answer also quotes reports outside it")
        if q.intent == "recommend":
            cands = [c for c in cands if extractive.RECOMMENDATION_RE.search(c.text)] or cands
        top = max((c.score for c in cands), default=0.0)
        if timeline:
            chosen = extractive.select_per_report(cands, per_doc=5, margin=0.5,
                                                  floor=max(self.settings.quote_floor, top - 0.5))
        else:
            chosen = extractive.select(cands, limit=self.settings.answer_sentences, per_doc=self.settings.per_report,
                                       floor=max(self.settings.quote_floor, top - self.settings.answer_margin))
        body, answer.sentences, answer.citations = extractive.compose(chosen, timeline, self)
        caution = "*Relaxed what the question implied: the best evidence is outside it.*\n\n" if decision.relaxed else ""
        if decision.action == policy.CAUTION:
            answer.notices.append(f"weak evidence (best match scored {best:.2f}): these passages may not "
                                  "answer the question")
            caution += "*The closest passages are quoted below; they may not answer the question.*\n\n"
        answer.answer = self._filter_line(q) + caution + body
        if mode == "llm":
            self._llm_answer(answer, q, passages)
        if tracked:  # after the LLM too: its citations come first, the tracker's are numbered on
            extra, sentences, citations = tracked_answer.section(self, tracked, answer.citations)
            answer.answer += "\n" + extra
            answer.sentences += sentences
            answer.citations += citations
        return self._timed(answer, t0, t1)

    def _with_continuations(self, passages: list[Passage]) -> list[Passage]:
        """A passage that ends on a lead-in ("…set out three recommendations:") brings the chunk after it,
        which holds the items, scored as the passage that introduced them."""
        chunks, have = self.index.chunk_map(), {p.chunk_id for p in passages}
        out = list(passages)
        for p in passages:
            spans = quotable_spans(p.text)
            if not spans or not extractive.LEAD_IN_RE.search(p.text[spans[-1][0]:spans[-1][1]]):
                continue
            nxt = chunks.get(f"{p.doc_id}:{p.ordinal + 1:04d}")
            if nxt is not None and nxt.chunk_id not in have:
                have.add(nxt.chunk_id)
                out.append(Passage.of(nxt, p.score, p.rank, dict(p.scores)))
        return out

    def _candidates(self, passages: list[Passage]) -> list[extractive.Candidate]:
        """The sentences an answer may quote, with the vectors ingest stored for them (a sentence
        without one, from an index built before they were stored, is embedded when scored)."""
        cands = extractive.candidates(passages, self._headings(passages))
        stored = self.index.sentence_vectors([p.chunk_id for p in passages])
        tables: dict[str, dict] = {}
        for c in cands:
            if (sv := stored.get(c.passage.chunk_id)) is not None:
                table = tables.get(sv.chunk_id) or tables.setdefault(sv.chunk_id, sv.lookup())
                c.vector = table.get((c.start - c.passage.start, c.end - c.passage.start))
        return cands

    def _llm_answer(self, answer: Answer, q: Query, passages: list[Passage]) -> None:
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
        body, sentences, citations, notices = llm.check(text, passages, self.page)
        answer.answer = self._filter_line(q) + body
        answer.sentences, answer.citations = sentences, citations
        answer.notices.extend(notices)

    def _emptied(self, answer: Answer, q: Query, applied: Filters, query: str, k: int,
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
            answer.answer = self._filter_line(q) + "No indexed report matches these filters."
            return answer
        wanted = {"force": ", ".join(applied.forces),
                  "years": f"{applied.year_from or '…'}–{applied.year_to or '…'}",
                  "programme": ", ".join(applied.programmes), "kind": ", ".join(applied.kinds)}[culprit]
        answer.notices.append(f"no evidence for {culprit} {wanted}; the index covers {culprit} {covered[culprit]}")
        rest = replace(preferred, forces=[]) if preferred is not None else None
        passages = self.search(query, k=k, filters=relaxed, prefer=rest)
        cands = self._candidates(passages)
        extractive.score(cands, q.topic, q.question, self.index.embedder.embed,
                         embed_query=self.index.embedder.embed_query)
        chosen = extractive.select(cands, limit=3, per_doc=1, floor=self.settings.quote_floor)
        body, answer.sentences, answer.citations = extractive.compose(chosen, False, self)
        answer.answer = (self._filter_line(q) + f"The indexed reports have nothing for {culprit} {wanted} "
                         f"(they cover {covered[culprit]}).\n\n"
                         + (f"**Closest evidence without the {culprit} filter (not about {wanted}):**\n" + body
                            if chosen else ""))
        return answer

    @classmethod
    def _filter_line(cls, q: Query) -> str:
        """What restricted the answer (set by the caller) and what it preferred (implied by the
        question or the conversation), each with where it came from."""
        hard, prefer = cls.split_filters(q, None)
        preferred = prefer.as_filters()
        lines = []
        if parts := hard.describe(q.sources):
            lines.append("*Filters: " + "; ".join(parts) + ".*")
        if parts := preferred.describe(q.sources):
            lines.append("*Preferred, not required: " + "; ".join(parts) + ".*")
        return "\n".join(lines) + "\n\n" if lines else ""

    @staticmethod
    def _timed(answer: Answer, t0: float, t1: float | None = None) -> Answer:
        end = time.perf_counter()
        answer.timings_ms = {"total": round((end - t0) * 1000, 1)}
        if t1:
            answer.timings_ms["retrieval"] = round((t1 - t0) * 1000, 1)
        return answer
