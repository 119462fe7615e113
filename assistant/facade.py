"""`Assistant`: the one object every surface (CLI, app, API) calls."""
from __future__ import annotations

import errno
import functools
import threading
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from index.embed import ModelError
from index.records import Filters, Passage, Preferences
from index.retrieve import UnknownRetriever, get_retriever
from index.store import Index, IndexMismatch
from index.vectors import ChromaUnavailable, http_client
from ingest import forces as force_table
from ingest.budget import Budget
from ingest.findings import THEMES, Finding
from ingest.pipeline import IngestReport, ingest
from ingest.records import Chunk, Document

from . import uploads
from .answer_model import AnswerModel
from .answering import Answering, Retrieval
from .backfill import SentenceBackfill
from .brief import Brief, build as build_brief
from .corpus import IndexCorpus
from .errors import HmiqaError, StoreFull, StoreUnavailable
from .followthrough import Documents, FollowThrough
from .query import Query
from .records import Answer
from .settings import Settings, SettingsError
from .vocabulary import PROGRAMMES, PUBLICATION_KINDS, YEARS

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
                self.corpus.forget()
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
        self.corpus = IndexCorpus(index)  # what answers read of the documents (headers kept until a write)
        self._answering = Answering(index, settings, self.corpus, self.search, self.follow_through)
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
            self.corpus.forget()

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
        self.corpus.forget()
        st = self.settings
        report = ingest(self.index, [Path(p) for p in paths], prune=prune, max_tokens=st.chunk_tokens,
                        max_text_mb=st.max_document_mb, budget=Budget(st.max_expanded_mb, st.max_read_seconds),
                        progress=progress, sentences=False)
        self._backfill.request()  # also what an interrupted earlier run left
        return report

    @writes
    def upload(self, name: str, data: bytes) -> uploads.UploadResult:
        """Check, save under the index's uploads/ folder and ingest one report that arrived as bytes (the
        app's uploader, the API). Raises uploads.UploadRejected (type, size, empty) before touching anything;
        a file that fails to ingest leaves the index, and an earlier upload of the same name, as they were."""
        return uploads.add_upload(name, data, Path(self.settings.index) / "uploads", self.settings.max_upload_mb,
                                  self.ingest, self._indexed)

    def _indexed(self, source: str) -> Document | None:
        versions = self.index.catalog.by_source(source)
        return self.document(versions[0].doc_id) if versions else None

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
        self.corpus.forget(doc_id)
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
        for year in (year_from, year_to):
            if year is not None and not YEARS[0] <= year <= YEARS[1]:
                raise HmiqaError(f"{year} is not a report year; give one from {YEARS[0]} to {YEARS[1]}, such as 2014")
        if year_from and year_to and year_from > year_to:
            raise HmiqaError(f"the year range {year_from}–{year_to} is empty: --from must not be after --to")
        for name, values, vocabulary in (("programme", programmes, PROGRAMMES), ("kind", kinds, PUBLICATION_KINDS)):
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
            st = self.settings
            options = dict(fusion=st.fusion, rrf_k=st.rrf_k, alpha=st.alpha, pool=st.fusion_pool,
                           doc_weight=st.doc_weight, prefer_weight=st.prefer_weight) if name == "hybrid" else {}
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
            earlier = self._follow[1] if self._follow is not None and self._follow[1].can_carry_over() else None
            self._follow = (gen, FollowThrough(self.index.findings.all(), docs, self.index.embedder.embed,
                                               passages=self._passages, earlier=earlier,
                                               weights=self.settings))
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
        if since is not None and not YEARS[0] <= since <= YEARS[1]:
            raise HmiqaError(f"--since {since} is not a year; give one such as 2014")
        ft = self.follow_through()
        judgments = [f for f in ft.findings if f.kind == "judgment" and name in f.forces]
        return build_brief(name, ft.track(name), judgments, ft.docs, self.chunk_at, themes=wanted, since=since)

    @reads
    def chunk_at(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """The chunk holding most of doc_id[start:end], so a citation opens at its passage."""
        return self.corpus.chunk_at(doc_id, start, end)

    # --- answering (assistant/answering.py) ---

    @reads
    def understand(self, question: str, history: list | None = None, filters: Filters | None = None,
                   drop: tuple[str, ...] | list[str] = ()) -> Query:
        """The question's filters and topic, resolved against earlier turns; caller filters win.
        `drop` names inferred filters the user removed ("forces", "years", "programmes")."""
        return self._answering.understand(question, history, filters, drop)

    @reads
    def retrieve(self, question: str, filters: Filters | None = None, history: list | None = None,
                 k: int = 8, drop: tuple[str, ...] | list[str] = ()) -> Retrieval:
        """The passages an answer is built from: filters and topic understood from the question (and
        earlier turns), caller filters winning; progress questions look a little wider."""
        return self._answering.retrieve(question, filters, history, k, drop)

    @reads
    def ask(self, question: str, filters: Filters | None = None, history: list | None = None,
            mode: str = "extractive", k: int = 8, drop: tuple[str, ...] | list[str] = ()) -> Answer:
        """A cited answer: sentences quoted from the reports, or a refusal that says why (and lists the
        closest passages), with what was filtered, preferred and relaxed."""
        return self._answering.ask(question, filters, history, mode, k, drop)

    def use_answer_model(self, model: AnswerModel | None) -> None:
        """Answer by `model` (assistant/answer_model.py) from now on; None: the one the settings name.
        Evaluation swaps in, per question, the cross-validation fold's model that did not see its report."""
        self._answering.use_model(model)
