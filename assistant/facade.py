"""`Assistant`: the one object every surface (CLI, app, API) calls."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from index import offline

offline.enforce()

from ingest import forces as force_table  # noqa: E402
from ingest.pipeline import IngestReport, ingest  # noqa: E402
from ingest.records import Document  # noqa: E402
from index.embed import ModelError  # noqa: E402
from index.records import Filters, Passage  # noqa: E402
from index.retrieve import UnknownRetriever, get_retriever  # noqa: E402
from index.store import Index, IndexMismatch  # noqa: E402

from .settings import Settings, SettingsError  # noqa: E402


class HmiqaError(Exception):
    """A problem the user can fix; the message says how."""


class Assistant:
    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings

    @classmethod
    def open(cls, index_dir: str | Path | None = None, **overrides) -> "Assistant":
        try:
            settings = Settings.load(index=str(index_dir) if index_dir else None, **overrides)
            return cls(Index(Path(settings.index), settings.embedding_model), settings)
        except (SettingsError, IndexMismatch, ModelError) as e:
            raise HmiqaError(str(e)) from None

    def close(self) -> None:
        self.index.close()

    def ingest(self, paths: list[str | Path], prune: bool = False,
               progress: Callable[[int, int, str, str], None] | None = None) -> IngestReport:
        return ingest(self.index, [Path(p) for p in paths], prune=prune,
                      max_tokens=self.settings.chunk_tokens, progress=progress)

    def documents(self) -> list[Document]:
        docs = self.index.catalog.documents()
        for d in docs:
            d.n_chunks = self.index.catalog.chunk_count(d.doc_id)
        return docs

    def document(self, doc_id: str) -> Document:
        doc = self.index.catalog.document(doc_id)
        if doc is None:
            raise HmiqaError(f"no document with id '{doc_id}'; `hmiqa docs` lists them")
        doc.n_chunks = self.index.catalog.chunk_count(doc_id)
        return doc

    def stats(self) -> dict:
        return self.index.stats()

    def filters(self, forces: list[str] | None = None, year_from: int | None = None,
                year_to: int | None = None, report_types: list[str] | None = None,
                doc_ids: list[str] | None = None) -> Filters:
        """Validated filters: force names resolved, unknown report types and bad ranges refused."""
        try:
            resolved = [force_table.resolve(f) for f in (forces or [])]
        except force_table.UnknownForce as e:
            raise HmiqaError(str(e)) from None
        if year_from and year_to and year_from > year_to:
            raise HmiqaError(f"the year range {year_from}–{year_to} is empty: --from must not be after --to")
        if report_types:
            known = set(self.index.catalog.distinct("report_type"))
            bad = [t for t in report_types if t not in known]
            if bad:
                raise HmiqaError(f"unknown report type {bad}; the index has: {sorted(known) or 'no documents'}")
        return Filters(forces=resolved, year_from=year_from, year_to=year_to,
                       report_types=list(report_types or []), doc_ids=list(doc_ids or []))

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               retriever: str | None = None) -> list[Passage]:
        if not question or not question.strip():
            raise HmiqaError("the question is empty; type what you want to find")
        k = k or self.settings.k
        if not 1 <= k <= 100:
            raise HmiqaError(f"k={k} is out of range; ask for 1 to 100 passages")
        try:
            r = get_retriever(retriever or self.settings.retriever, self.index,
                              fusion=self.settings.fusion, rrf_k=self.settings.rrf_k,
                              alpha=self.settings.alpha)
        except UnknownRetriever as e:
            raise HmiqaError(str(e)) from None
        return r.search(question, k=k, filters=filters)
