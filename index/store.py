"""One index directory: the catalog, the Chroma vectors and the BM25 index, kept in step."""
from __future__ import annotations

import json
from pathlib import Path

from ingest.records import Chunk, Document

from .bm25 import BM25Index
from .catalog import Catalog
from .embed import Embedder
from .filters import Columns
from .findings_store import FindingsStore
from .sentences import SentenceVectors, embed_sentences
from .vectors import VectorStore


class IndexMismatch(Exception):
    pass


class Index:
    """Embedded (SQLite catalog + Chroma PersistentClient under `path`), or, given `chroma`
    (a client of a Chroma server), everything shared lives in that server and `path` holds only
    this process's uploads and feedback."""

    def __init__(self, path: Path, embedding_model: str, chroma=None):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.server = chroma is not None
        if self.server:
            from .chroma_catalog import ChromaCatalog
            self.vectors = VectorStore(client=chroma)
            self.catalog = ChromaCatalog(chroma, self.vectors.collection)
        else:
            self.vectors = VectorStore(self.path / "chroma")
            self.catalog = Catalog(self.path / "catalog.sqlite")
        built_with = self.catalog.get_meta("embedding_model")
        if built_with and built_with != embedding_model and self.catalog.count():
            raise IndexMismatch(
                f"the index at {self.path} was built with embedding model '{built_with}', not "
                f"'{embedding_model}'. Use the same model, or ingest into a new --index directory")
        self.catalog.set_meta("embedding_model", embedding_model)
        self.embedder = Embedder(embedding_model)
        self.findings = FindingsStore(self.path / "findings.sqlite")
        self._bm25: BM25Index | None = None
        self._bm25_loaded = False
        self._chunks: dict[str, Chunk] | None = None
        self.migrated = self._migrate()
        self._columns: Columns | None = None
        self._doc_vectors: tuple[dict[str, int], "object"] | None = None
        self.upgraded = self._add_missing_doc_vectors()
        self._generation = self.catalog.generation()

    def _add_missing_doc_vectors(self) -> int:
        """Indexes built before document vectors get them on open (one short text per document)."""
        have = set(self.vectors.doc_matrix()[0])
        ids = [i for i in dict.fromkeys(self.catalog.sources().values()) if i not in have]
        missing = [d for i in ids if (d := self.catalog.document(i)) is not None]
        for i in range(0, len(missing), 64):
            part = missing[i:i + 64]
            self.vectors.add_doc([d.doc_id for d in part], self.embedder.embed([d.head_text() for d in part]))
        return len(missing)

    def columns(self) -> Columns | None:
        """The chunks' filterable fields as arrays, in the BM25 index's order."""
        bm25 = self.bm25
        if bm25 is None:
            return None
        if self._columns is None or self._columns.chunk_ids is not bm25.chunk_ids:
            self._columns = Columns.build(bm25.chunk_ids, self.chunk_map())
            self._columns.chunk_ids = bm25.chunk_ids
        return self._columns

    def doc_vectors(self):
        """(doc_id -> row, matrix) of the document vectors, reloaded when the corpus changes."""
        if self._doc_vectors is None:
            ids, matrix = self.vectors.doc_matrix()
            self._doc_vectors = ({d: i for i, d in enumerate(ids)}, matrix)
        return self._doc_vectors

    def _migrate(self) -> list[str]:
        """Indexes built before programme and kind (pipeline version 1) get both fields in the
        catalog and in each vector's metadata, from their old report_type: no text is re-read and
        nothing is embedded again, so filters work at once. Server mode: re-ingest instead."""
        if self.server:
            return []
        done = []
        for doc_id in self.catalog.legacy_documents():
            doc = self.catalog.document(doc_id)  # read through from_dict, which maps report_type
            chunks = self.catalog.chunks(doc_id)
            if doc is None:
                continue
            if chunks:
                self.vectors.collection.update(ids=[c.chunk_id for c in chunks],
                                               metadatas=[VectorStore.metadata(c) for c in chunks])
            self.catalog.rewrite(doc, chunks)
            done.append(doc_id)
        return done

    def refresh(self) -> bool:
        """Drop cached chunks and BM25 when another process (or this one) changed the corpus."""
        gen = self.catalog.generation()
        if gen == self._generation:
            return False
        self._generation, self._chunks, self._bm25, self._bm25_loaded = gen, None, None, False
        self._columns = self._doc_vectors = None
        return True

    @property
    def bm25_path(self) -> Path:
        return self.path / "bm25"

    def chunk_map(self) -> dict[str, Chunk]:
        if self._chunks is None:
            self._chunks = {c.chunk_id: c for c in self.catalog.chunks()}
        return self._chunks

    @property
    def bm25(self) -> BM25Index | None:
        if not self._bm25_loaded:
            self._bm25 = None if self.server else BM25Index.load(self.bm25_path)
            if self._bm25 is not None and set(self._bm25.chunk_ids) != set(self.chunk_map()):
                self._bm25 = None  # stale (a crash between catalog and BM25 writes): rebuild
            if self._bm25 is None and self.chunk_map():
                self.rebuild_bm25()
            self._bm25_loaded = True
        return self._bm25

    def rebuild_bm25(self) -> None:
        self._generation = self.catalog.generation()  # before reading: a later change is seen next time
        self._chunks = self._columns = self._doc_vectors = None
        chunks = list(self.chunk_map().values())
        self._bm25 = BM25Index.build(chunks)
        if self.server:
            pass  # in memory only: each process builds its own from the shared chunks
        elif self._bm25 is not None:
            self._bm25.save(self.bm25_path)
        else:
            import shutil
            shutil.rmtree(self.bm25_path, ignore_errors=True)
        self._bm25_loaded = True

    # The one write path: every change to what is indexed goes through add, remove and repair, then
    # settle, so the catalog, the Chroma vectors, BM25 and the findings store stay in step.

    def add(self, doc: Document, chunks: list[Chunk], vectors, doc_vector, replaces: list[str] = (),
            sentences: list[SentenceVectors] = ()) -> None:
        """Index one document (a new one, or a new version replacing the documents `replaces`): a pending
        catalog row first (with the chunks' sentence vectors), then the chunk vectors, then the switch
        to ready, so an interrupted write leaves a pending row that repair() removes, never a
        half-indexed ready document."""
        self.catalog.begin(doc, chunks, list(sentences))
        self.vectors.delete_doc(doc.doc_id)
        self.vectors.add(chunks, vectors)
        self.vectors.add_doc([doc.doc_id], doc_vector)
        self.catalog.commit(doc.doc_id, replaced=list(replaces))
        for old in replaces:
            if old != doc.doc_id:
                self.vectors.delete_doc(old)

    def remove(self, doc_ids: list[str]) -> None:
        """Take documents out: their vectors, then their catalog rows (and chunks)."""
        for doc_id in doc_ids:
            self.vectors.delete_doc(doc_id)
            self.catalog.delete(doc_id)

    def repair(self) -> list[str]:
        """Remove what an interrupted ingest left half-written; returns the doc_ids removed."""
        removed = list(self.catalog.pending())
        self.remove(removed)
        ready = {d.doc_id for d in self.catalog.documents()}
        if self.vectors.count():
            for doc_id in self.vectors.doc_ids() - ready:
                self.vectors.delete_doc(doc_id)
                removed.append(doc_id)
        return removed

    def add_missing_sentences(self) -> int:
        """Indexes built before sentence vectors were stored get them (run by ingest, a writer);
        returns how many documents were brought up to date."""
        docs = self.catalog.without_sentences()
        for doc_id in docs:
            self.catalog.put_sentences(embed_sentences(self.catalog.chunks(doc_id), self.embedder.embed))
        return len(docs)

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of these chunks (a chunk indexed before they were stored has none)."""
        return self.catalog.sentences(list(dict.fromkeys(chunk_ids)))

    def settle(self, changed: bool = True) -> None:
        """After a batch of writes: BM25 rebuilt from the catalog's chunks (when anything changed) and
        the findings store brought up to the catalog."""
        if changed:
            self.rebuild_bm25()
        self.findings.sync(self.catalog)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def stats(self) -> dict:
        docs = self.catalog.documents()
        return {"index": str(self.path), "documents": len(docs),
                "chunks": len(self.chunk_map()), "vectors": self.vectors.count(),
                "embedding_model": self.embedder.name, "size_bytes": self.size_on_disk(),
                "forces": sorted({f for d in docs for f in d.forces}),
                "years": sorted({d.year for d in docs if d.year}),
                "programmes": sorted({d.programme for d in docs if d.programme}),
                "kinds": sorted({d.kind for d in docs if d.kind})}

    def close(self) -> None:
        self.catalog.close()
        self.findings.close()

    def describe(self) -> str:
        return json.dumps(self.stats(), indent=2)
