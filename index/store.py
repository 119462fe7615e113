"""One index directory: the catalog, the Chroma vectors and the BM25 index, kept in step."""
from __future__ import annotations

import bisect
import json
import threading
from itertools import groupby
from pathlib import Path

import numpy as np

from ingest import boilerplate
from ingest.records import Chunk, Document

from .bm25 import BM25Index
from .bm25_shared import SharedSegments
from .catalog import Catalog
from .catalogs import CatalogStore
from .corpus import ChunkMap, doc_of
from .embed import DEFAULT_CACHE, Embedder
from .filters import Columns
from .findings_store import FindingsStore
from .locks import ReadWriteLock
from .writer_lock import WriterLock, opening
from .sentences import SentenceVectors, embed_sentences
from .vectors import VectorStore


# set once an index's stored records have been checked against the sidecar rows (ingest/manifest.py)
METADATA_CHECKED = "metadata_checked"


class IndexMismatch(Exception):
    pass


class Index:
    """Embedded (SQLite catalog + Chroma PersistentClient under `path`), or, given `chroma`
    (a client of a Chroma server), everything shared lives in that server and `path` holds only
    this process's uploads and feedback."""

    catalog: CatalogStore  # a LocalCatalogStore (SQLite) unless `server`

    def __init__(self, path: Path, embedding_model: str, chroma=None, device: str = "auto", batch_size: int = 8,
                 backend: str = "auto", model_cache: str = DEFAULT_CACHE):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.server = chroma is not None
        self.writer = WriterLock(self.path)
        with opening(self.path):  # two processes opening a new index create its stores once
            if self.server:
                from .chroma_catalog import ChromaCatalog
                self.vectors = VectorStore(client=chroma)
                self.catalog = ChromaCatalog(chroma, self.vectors.collection)
                self.shared_bm25 = SharedSegments(chroma)
            else:
                self.vectors = VectorStore(self.path / "chroma")
                self.catalog = Catalog(self.path / "catalog.sqlite")
            built_with = self.catalog.get_meta("embedding_model")
            if built_with and built_with != embedding_model and self.catalog.count():
                raise IndexMismatch(
                    f"the index at {self.path} was built with embedding model '{built_with}', not "
                    f"'{embedding_model}'. Use the same model, or ingest into a new --index directory")
            if built_with != embedding_model:
                self.catalog.set_meta("embedding_model", embedding_model)
        self.embedder = Embedder(embedding_model, batch_size=batch_size, device=device, backend=backend,
                                 cache_dir=model_cache)
        self.findings = FindingsStore(self.path / "findings.sqlite")
        # readers share the caches below; writers swap them under `lock` (index/locks.py), and a
        # reader that finds one empty fills it under `_build`, so two readers never build one twice
        self.lock = ReadWriteLock()
        self._build = threading.RLock()
        self._retired: list[str] = []  # documents taken out whose vectors readers may still be using
        self._written: set[str] = set()  # documents added since BM25 was last built
        self._boilerplate: set[int] | None = None
        self._distinct: tuple[int, dict] = (-1, {})
        self._bm25: BM25Index | None = None
        self._bm25_loaded = False
        self._chunks: ChunkMap | None = None  # the chunk ids readers see; records read on demand
        self._headers: dict[str, Document] = {}  # the chunk map's documents, without their text
        self._columns: Columns | None = None
        self._doc_vectors: tuple[dict[str, int], "object"] | None = None
        self._chunk_matrix: tuple[list[str], np.ndarray | None] | None = None  # (the columns' ids, their vectors)
        with opening(self.path):
            self.migrated = self._migrate()
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
        with self._build:
            if self._columns is None or self._columns.chunk_ids is not bm25.chunk_ids:
                chunks = self.chunk_map()  # and its documents' headers
                self._columns = Columns.build(bm25.chunk_ids, self._headers,
                                              chunks.positions() if bm25.chunk_ids is chunks.ids else None)
            return self._columns

    def stored_chunk_vectors(self, ids: list[str], dim: int) -> np.ndarray | None:
        """The stored vectors (float32) of these chunk ids, which run document by document in ordinal
        order; None when some lack them (an index from before they were kept, or a document indexed
        again with other chunks since this corpus was read): Chroma answers then."""
        if not ids:
            return np.zeros((0, dim), dtype=np.float32)
        stored = self.catalog.chunk_vectors(list(dict.fromkeys(doc_of(c) for c in ids)), dim)
        parts = []
        for d, group in groupby(ids, key=doc_of):
            ordinals = [int(c.rpartition(":")[2]) for c in group]
            if d not in stored or ordinals[-1] >= len(stored[d]):
                return None
            parts.append(stored[d][ordinals])
        return np.concatenate(parts).astype(np.float32)

    def chunk_matrix(self, cols: Columns, dim: int) -> np.ndarray | None:
        """Every chunk of the corpus being read, in the columns' order, read once per corpus: an exact
        unfiltered search is then one product, not a read of every stored vector per question."""
        with self._build:
            if self._chunk_matrix is None or self._chunk_matrix[0] is not cols.chunk_ids:
                self._chunk_matrix = (cols.chunk_ids, self.stored_chunk_vectors(cols.chunk_ids, dim))
            return self._chunk_matrix[1]

    def doc_vectors(self):
        """(doc_id -> row, matrix) of the document vectors, reloaded when the corpus changes."""
        with self._build:
            if self._doc_vectors is None:
                ids, matrix = self.vectors.doc_matrix()
                self.chunk_map()
                keep = [i for i, d in enumerate(ids) if d in self._headers]  # the corpus being read
                self._doc_vectors = ({ids[i]: r for r, i in enumerate(keep)}, matrix[keep] if keep else matrix[:0])
            return self._doc_vectors

    def _migrate(self) -> list[str]:
        """Indexes built before programme and kind (pipeline version 1) get both fields in the
        catalog and in each vector's metadata, from their old report_type: no text is re-read and
        nothing is embedded again, so filters work at once. Server mode: re-ingest instead."""
        if self.server:
            return []
        # read through from_dict, which maps report_type
        return [doc_id for doc_id in self.catalog.legacy_documents() if self._rewrite(doc_id) is not None]

    def _rewrite(self, doc_id: str) -> Document | None:
        """Store a document's and its chunks' records again as from_dict reads them (same ids, text and
        vectors), in the catalog and in the vectors' metadata; None when it is not there."""
        doc, chunks = self.catalog.document(doc_id), self.catalog.chunks(doc_id)
        if doc is None:
            return None
        if chunks:
            self.vectors.collection.update(ids=[c.chunk_id for c in chunks],
                                           metadatas=[self.vectors.metadata(c) for c in chunks])
        self.catalog.rewrite(doc, chunks)
        return doc

    def repair_metadata(self) -> dict[str, list[str]]:
        """Documents stored with a value no field takes (a sidecar's year "abc", before sidecars were
        checked) read it as unknown (Document.from_dict); this stores that repair in the catalog and the
        vectors' metadata, so filters on the server side agree. Returns source -> fields repaired. A
        writer's upkeep, once an index (a catalog flag): only an hmiqa from before the checks stored such
        values. On a server the documents are read defensively and re-ingesting repairs them."""
        if self.server or self.catalog.get_meta(METADATA_CHECKED) == "1":
            return {}  # every record written since was checked by the sidecar rows: one scan an index
        out = {}
        for doc_id, header in self.catalog.headers().items():
            if getattr(header, "sanitized", None) and (doc := self._rewrite(doc_id)) is not None:
                out[doc.source] = list(header.sanitized)
        self.catalog.set_meta(METADATA_CHECKED, "1")
        return out

    def moved(self) -> bool:
        """Another process changed the corpus since the caches were filled."""
        return self.catalog.generation() != self._generation

    def refresh(self) -> bool:
        """Drop cached chunks and BM25 when another process (or this one) changed the corpus. Takes
        the write lock: call it before reading, never while reading."""
        if not self.moved():
            return False
        with self.lock.write():
            gen = self.catalog.generation()
            if gen == self._generation:
                return False
            if not self.server:
                self.vectors.reopen()  # embedded Chroma keeps its nearest-neighbour graph in memory
            self._generation, self._chunks, self._bm25, self._bm25_loaded = gen, None, None, False
            self._columns = self._doc_vectors = self._boilerplate = self._chunk_matrix = None
            self._headers = {}
            return True

    @property
    def bm25_path(self) -> Path:
        return self.path / "bm25"

    def chunk_map(self) -> ChunkMap:
        chunks = self._chunks
        if chunks is None:
            with self._build:
                if self._chunks is None:
                    chunks, self._headers = self._read_corpus()
                    self._chunks = chunks  # last: a reader that sees the chunks sees their headers
                chunks = self._chunks
        return chunks

    def _read_corpus(self) -> tuple[ChunkMap, dict[str, Document]]:
        # chunks first: every document whose chunks are read was committed before its header is read
        return ChunkMap(self.catalog.chunk_ids(), self.catalog.chunks_by_id), self.catalog.headers()

    def _read_after_writes(self) -> tuple[ChunkMap, dict[str, Document], bool]:
        """The corpus after this process's writes: the chunk ids of the ready documents, and the headers
        readers use less the documents written or taken out since, plus those written; read whole (and
        said so) when there is none yet, or when another process changed the catalog too."""
        if self._chunks is None or self.server:
            return self._read_corpus() + (True,)
        changed = self._written | set(self._retired)
        ids = self._ids_after(changed)
        headers = {d: h for d, h in self._headers.items() if d not in changed}
        for doc_id in self._written:
            doc = self.catalog.document(doc_id)
            if doc is not None:  # not taken out again since
                doc.text = ""
                headers[doc_id] = doc
        if set(headers) != self.catalog.ready_ids():
            return self._read_corpus() + (True,)  # another process wrote too
        return ChunkMap(ids, self.catalog.chunks_by_id), headers, False

    # past this many documents changed, the ids are read again rather than patched
    PATCH_MAX = 64

    def _ids_after(self, changed: set[str]) -> list[str]:
        """The ready documents' chunk ids after this process's writes: those readers use, the runs of
        the documents changed since cut out and the ones of those now ready put in (each document's ids
        are one run of the sorted list). Reading a million ids took 1.3 s of every settle."""
        if len(changed) > self.PATCH_MAX:
            return self.catalog.chunk_ids()
        ids = self._chunks.ids
        runs = sorted((bisect.bisect_left(ids, d + ":"), bisect.bisect_left(ids, d + ";")) for d in changed)
        out, at = [], 0
        for lo, hi in runs:
            out += ids[at:lo]
            at = max(at, hi)
        out += ids[at:]
        for doc_id in sorted(changed):
            new = self.catalog.chunk_ids_of([doc_id])
            if new:
                pos = bisect.bisect_left(out, doc_id + ":")
                out[pos:pos] = new
        return out

    def header(self, doc_id: str) -> Document | None:
        """A document of the chunk map readers use (without its text): still there while a new version
        replaces it, until the corpus readers see is swapped."""
        self.chunk_map()
        return self._headers.get(doc_id)

    @property
    def bm25(self) -> BM25Index | None:
        if self._bm25_loaded:
            return self._bm25
        with self._build:
            if not self._bm25_loaded:
                chunks = self.chunk_map()
                saved = self._saved_bm25()
                # the saved segments read against this corpus; chunks in none of them (a crash between
                # catalog and BM25 writes, or an index from before segments were shared) are tokenised,
                # in memory only
                bm25 = BM25Index.from_ids(chunks.ids, self._indexed_texts, saved,
                                          positions=chunks.positions(), tidy=False)
                if bm25 is not None:
                    bm25.chunk_ids = chunks.ids  # one list of ids in memory, not two
                self._bm25, self._bm25_loaded = bm25, True
            return self._bm25

    def _saved_bm25(self) -> BM25Index | None:
        """The segments a writer saved: under the index folder, or, on a server, the shared snapshot
        (copied into this process's folder)."""
        return self.shared_bm25.fetch(self.bm25_path) if self.server else BM25Index.load(self.bm25_path)

    def _indexed_texts(self, chunk_ids: list[str]) -> list[str]:
        got = self.catalog.chunks_by_id(chunk_ids)
        return [got[c].indexed_text if c in got else "" for c in chunk_ids]  # "": deleted meanwhile

    def _built_bm25(self, chunks: ChunkMap, previous: BM25Index | None = None,
                    again: set[str] = frozenset()) -> BM25Index | None:
        bm25 = BM25Index.from_ids(chunks.ids, self._indexed_texts, previous, again, positions=chunks.positions())
        if bm25 is None:
            import shutil
            shutil.rmtree(self.bm25_path, ignore_errors=True)
            return None
        # its new segments written, and read back memory-mapped; on a server, also published
        bm25.save(self.bm25_path, prune_after=3600 if self.server else 0)
        if self.server:
            self.shared_bm25.publish(bm25)
        bm25.chunk_ids = chunks.ids
        return bm25

    def rebuild_bm25(self) -> None:
        """BM25 and the chunk map from the catalog, built beside the ones readers use, then swapped in."""
        gen = self.catalog.generation()  # before reading: a later change is seen next time
        chunks, headers, whole = self._read_after_writes()
        # only the chunks of documents written since are tokenised, into a new segment (a document
        # indexed again keeps its chunk ids, but a manifest may have changed its context line); the
        # saved segments are the base when another process wrote too (writers take turns)
        fresh = whole or not self._bm25_loaded
        previous = self._saved_bm25() if fresh else self._bm25
        bm25 = self._built_bm25(chunks, previous, again=set(self._written))
        self._written = set()
        with self.lock.write():
            if whole and not self.server and self._chunks is not None:
                self.vectors.reopen()  # another process's vectors too
            self._generation, self._chunks, self._headers, self._bm25 = gen, chunks, headers, bm25
            self._bm25_loaded = True
            self._columns = self._doc_vectors = self._boilerplate = self._chunk_matrix = None

    # The one write path: every change to what is indexed goes through add, remove and repair, then
    # settle, so the catalog, the Chroma vectors, BM25 and the findings store stay in step. Readers go
    # on with the corpus they started with (chunk map, BM25, vectors) until settle swaps in the new one.

    def add(self, doc: Document, chunks: list[Chunk], vectors, doc_vector, replaces: list[str] = (),
            sentences: list[SentenceVectors] = ()) -> None:
        """Index one document (a new one, or a new version replacing the documents `replaces`): a pending
        catalog row first (with the chunks' sentence vectors), then the chunk vectors, then the switch
        to ready, so an interrupted write leaves a pending row that repair() removes, never a
        half-indexed ready document."""
        self._written.add(doc.doc_id)
        self._unsettled()
        self._keep([doc.doc_id, *replaces])
        self.catalog.begin(doc, chunks, list(sentences), boilerplate.document_keys(chunks), vectors)
        self.vectors.delete_doc(doc.doc_id)
        self.vectors.add(chunks, vectors)
        self.vectors.add_doc([doc.doc_id], doc_vector)
        with self.lock.write():
            self.catalog.commit(doc.doc_id, replaced=list(replaces))
            self._retired += [old for old in replaces if old != doc.doc_id]

    def remove(self, doc_ids: list[str]) -> None:
        """Take documents out: their catalog rows (and chunks) now, their vectors once readers no longer
        use them (settle); a crash in between leaves vectors of no document, which repair() removes."""
        self._unsettled()
        self._keep(doc_ids)
        with self.lock.write():
            for doc_id in doc_ids:
                self.catalog.delete(doc_id)
            self._retired += doc_ids

    def _keep(self, doc_ids: list[str]) -> None:
        """Before the catalog forgets (or rewrites) these documents' chunks, the corpus readers use
        keeps their records, so a search still cites them until settle swaps the new corpus in."""
        chunks = self._chunks
        if chunks is None:
            return
        for doc_id in doc_ids:
            if doc_id in self._headers:
                chunks.kept.update((c.chunk_id, c) for c in chunks.of_document(doc_id))

    def repair(self) -> list[str]:
        """Remove what an interrupted ingest left half-written; returns the doc_ids removed."""
        with self.lock.write():
            removed = list(self.catalog.pending())
            for doc_id in removed:
                self.vectors.delete_doc(doc_id)
                self.catalog.delete(doc_id)
            # vectors of no ready document exist only if a write stopped before settle finished: the
            # scan reads every vector's metadata, so it runs only then
            if self.catalog.get_meta("unsettled") != "0" and self.vectors.count():
                ready = set(self.catalog.sources().values())  # the pending ones are gone already
                for doc_id in self.vectors.doc_ids() - ready:
                    self.vectors.delete_doc(doc_id)
                    removed.append(doc_id)
            self.catalog.set_meta("unsettled", "0")
            return removed

    # chunks whose sentences are embedded in one encoder call (~6 quotable sentences each)
    SENTENCE_GROUP = 256

    def add_missing_sentences(self) -> int:
        """Every document brought up to date (the synchronous upkeep of an ingest, a writer): returns
        how many documents were (see `upgrade` and `add_sentences`)."""
        upgraded = self.upgrade()
        missing = self.without_sentences()
        self.add_sentences(missing)
        return len(set(upgraded) | set(missing))

    def upgrade(self) -> list[str]:
        """Documents of an index built before shape keys or the catalog's chunk vectors were stored get
        them, with no embedding (the chunk vectors are copied from Chroma); returns their doc_ids."""
        shapes, dense = set(self.catalog.without_shapes()), set(self.catalog.without_chunk_vectors())
        for doc_id in sorted(shapes | dense):
            chunks = self.catalog.chunks(doc_id)
            if doc_id in shapes:
                self.catalog.put_shapes(doc_id, boilerplate.document_keys(chunks))
            if doc_id in dense and chunks:
                self.catalog.put_chunk_vectors(doc_id, self.vectors.embeddings([c.chunk_id for c in chunks]))
        return sorted(shapes | dense)

    def without_sentences(self) -> list[str]:
        """Ready documents with chunks that have no stored sentence vectors: those ingest has just made
        searchable, and those of indexes built before sentence vectors were stored."""
        return sorted(self.catalog.without_sentences())

    def add_sentences(self, doc_ids: list[str], budget: int | None = None) -> list[str]:
        """The quotable sentences of these documents' chunks embedded (SENTENCE_GROUP chunks a call) and
        stored, for the chunks still indexed and still without them: another writer may have removed
        a document, or stored them, since the list was made. With a `budget`, documents are taken until
        that many chunks are done (a background writer holds the writer lock that long at a time);
        returns the doc_ids not reached."""
        waiting: list[Chunk] = []  # several documents' chunks, embedded together
        done = 0

        def flush() -> None:
            nonlocal done
            if waiting:
                self.catalog.put_sentences(embed_sentences(waiting, self.embedder.embed))
                done += len(waiting)
                waiting.clear()

        for n, doc_id in enumerate(doc_ids):
            if budget is not None and done + len(waiting) >= budget:
                flush()
                return list(doc_ids[n:])
            chunks = self.catalog.chunks(doc_id)  # none once the document is no longer ready
            have = self.catalog.have_sentences([c.chunk_id for c in chunks])
            waiting.extend(c for c in chunks if c.chunk_id not in have)
            if len(waiting) >= self.SENTENCE_GROUP:
                flush()
        flush()
        return []

    def boilerplate(self) -> set[int]:
        """Keys of sentence shapes printed in several documents (ingest/boilerplate.py), per corpus."""
        with self._build:
            if self._boilerplate is None:
                keys = self.catalog.boilerplate(boilerplate.MIN_DOCUMENTS)
                if keys is None:  # a store without keys: from the chunks readers use
                    keys = boilerplate.shapes_in_documents(self.chunk_map().values())
                self._boilerplate = keys
            return self._boilerplate

    def distinct(self, field: str) -> list:
        """The distinct forces, years, programmes or kinds of the ready documents, per corpus."""
        gen = self.catalog.generation()
        with self._build:
            if self._distinct[0] != gen:
                self._distinct = (gen, {})
            values = self._distinct[1]
            if field not in values:
                values[field] = self.catalog.distinct_forces() if field == "forces" else self.catalog.distinct(field)
            return values[field]

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of these chunks (a chunk indexed before they were stored has none)."""
        return self.catalog.sentences(list(dict.fromkeys(chunk_ids)))

    def settle(self, changed: bool = True) -> None:
        """After a batch of writes: BM25 rebuilt from the catalog's chunks (when anything changed) and
        the findings store brought up to the catalog."""
        if changed or self._retired:
            self.rebuild_bm25()
        # readers now use the corpus without them: the vectors of removed and replaced documents can go
        retired, self._retired = self._retired, []
        for doc_id in retired:
            if (placed := self.catalog.status(doc_id)) is None or placed.status != "ready":  # not indexed again since
                self.vectors.delete_doc(doc_id)
        if self.catalog.get_meta("unsettled") == "1":
            self.catalog.set_meta("unsettled", "0")
        self.sync_findings()

    def _unsettled(self) -> None:
        """Mark the index as being written, until settle: a crash before then makes repair() look for
        vectors of no document."""
        if self.catalog.get_meta("unsettled") != "1":
            self.catalog.set_meta("unsettled", "1")

    def sync_findings(self) -> bool:
        """The findings store brought up to the catalog (readers may call it; one at a time)."""
        with self._build:
            return self.findings.sync(self.catalog)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def stats(self) -> dict:
        docs = list(self.catalog.headers().values())  # not their text
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
        if not self.server:
            self.vectors.close()
