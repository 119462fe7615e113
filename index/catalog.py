"""SQLite record of what is indexed: documents (with cleaned text) and their chunks.

It is the source of truth for "is this file already ingested" and the corpus BM25 is built from.
A document row is 'pending' while its vectors are being written and 'ready' once they all are.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from ingest.manifest import valid
from ingest.records import Chunk, Document

from .catalogs import Placement, Version
from .corpus import doc_of
from .sentences import SentenceVectors

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, file_hash TEXT NOT NULL,
    status TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, spans BLOB NOT NULL, vectors BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sentences_doc ON sentences(doc_id);
CREATE TABLE IF NOT EXISTS shapes (doc_id TEXT NOT NULL, key INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS shapes_doc ON shapes(doc_id);
CREATE TABLE IF NOT EXISTS headers (doc_id TEXT PRIMARY KEY, header TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunk_vectors (doc_id TEXT PRIMARY KEY, vectors BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS shape_counts (key INTEGER PRIMARY KEY, docs INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Catalog:
    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self._add_headers()
        self._count_all_shapes()

    def _add_headers(self) -> None:
        """A document's record without its text, in a table of its own: headers and distinct values
        then never read the cleaned text (megabytes a report, which SQLite keeps in overflow pages it
        walks to reach any column after it). Documents written before it get theirs here."""
        with self.db:
            self.db.execute("INSERT INTO headers SELECT doc_id, json_remove(data, '$.text') FROM documents "
                            "WHERE doc_id NOT IN (SELECT doc_id FROM headers)")

    def close(self) -> None:
        self.db.close()

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def by_source(self, source: str) -> list[Version]:
        return [Version(*row) for row in self.db.execute(
            "SELECT doc_id, file_hash, status FROM documents WHERE source=?", (source,))]

    def status(self, doc_id: str) -> Placement | None:
        row = self.db.execute("SELECT source, status FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return Placement(row[0], row[1]) if row else None

    def pending(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE status != 'ready'")]

    def sources(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT source, doc_id FROM documents"))

    def begin(self, doc: Document, chunks: list[Chunk], sentences: list[SentenceVectors] = (),
              shapes: set[int] | None = None, vectors: np.ndarray | None = None) -> None:
        """Record the document as pending with its chunks and their sentence vectors, before any
        chunk vector is written."""
        with self.db:
            self._delete(doc.doc_id)
            data, header = _record(doc)
            self.db.execute("INSERT INTO documents (doc_id, source, file_hash, status, data) "
                            "VALUES (?, ?, ?, 'pending', ?)",
                            (doc.doc_id, doc.source, doc.file_hash, data))
            self.db.execute("INSERT OR REPLACE INTO headers VALUES (?, ?)", (doc.doc_id, header))
            self.db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)",
                                [(c.chunk_id, c.doc_id, c.ordinal, json.dumps(c.to_dict())) for c in chunks])
            self._put_sentences(sentences)
            if shapes is not None:
                self._put_shapes(doc.doc_id, shapes)
            if vectors is not None:
                self._put_chunk_vectors(doc.doc_id, vectors)

    def _put_chunk_vectors(self, doc_id: str, vectors: np.ndarray) -> None:
        self.db.execute("INSERT OR REPLACE INTO chunk_vectors VALUES (?, ?)",
                        (doc_id, np.ascontiguousarray(vectors, dtype=np.float16).tobytes()))

    def put_chunk_vectors(self, doc_id: str, vectors: np.ndarray) -> None:
        with self.db:
            self._put_chunk_vectors(doc_id, vectors)

    def chunk_vectors(self, doc_ids: list[str], dim: int) -> dict[str, np.ndarray]:
        """Each document's chunk vectors (float16, one row per chunk in ordinal order), for an exact
        search over the few documents a filter leaves."""
        out = {}
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            rows = self.db.execute(f"SELECT doc_id, vectors FROM chunk_vectors WHERE doc_id IN "
                                   f"({','.join('?' * len(part))})", part)
            out.update((r[0], np.frombuffer(r[1], dtype=np.float16).reshape(-1, dim)) for r in rows)
        return out

    def without_chunk_vectors(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT doc_id FROM documents d WHERE status='ready' AND NOT EXISTS "
            "(SELECT 1 FROM chunk_vectors v WHERE v.doc_id = d.doc_id)")]

    def _put_shapes(self, doc_id: str, shapes: set[int]) -> None:
        ready = self._ready(doc_id)
        if ready:
            self._count_shapes(doc_id, -1)
        # key 0 marks a document whose keys are stored, even when it has none
        self.db.execute("DELETE FROM shapes WHERE doc_id=?", (doc_id,))
        self.db.executemany("INSERT INTO shapes VALUES (?, ?)", [(doc_id, k) for k in {0, *shapes}])
        if ready:
            self._count_shapes(doc_id, +1)

    def _ready(self, doc_id: str) -> bool:
        row = self.db.execute("SELECT status FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return bool(row) and row[0] == "ready"

    def _count_shapes(self, doc_id: str, step: int) -> None:
        """shape_counts holds, for each sentence-shape key, how many ready documents print it: kept as
        documents become ready or go, so finding boilerplate never groups every document's keys (1.3 s
        at 100k chunks, and growing with the corpus)."""
        self.db.execute("INSERT INTO shape_counts (key, docs) SELECT key, ? FROM shapes WHERE doc_id=? AND key != 0 "
                        "ON CONFLICT(key) DO UPDATE SET docs = docs + excluded.docs", (step, doc_id))

    def _count_all_shapes(self) -> None:
        """Catalogs written before shape_counts get it counted once."""
        if self.get_meta("shape_counts") == "1":
            return
        with self.db:
            self.db.execute("DELETE FROM shape_counts")
            self.db.execute("INSERT INTO shape_counts SELECT s.key, COUNT(DISTINCT s.doc_id) FROM shapes s "
                            "JOIN documents d ON d.doc_id = s.doc_id WHERE d.status='ready' AND s.key != 0 "
                            "GROUP BY s.key")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('shape_counts', '1')")

    def put_shapes(self, doc_id: str, shapes: set[int]) -> None:
        with self.db:
            self._put_shapes(doc_id, shapes)

    def without_shapes(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT doc_id FROM documents d WHERE status='ready' AND NOT EXISTS "
            "(SELECT 1 FROM shapes s WHERE s.doc_id = d.doc_id)")]

    def boilerplate(self, min_documents: int) -> set[int] | None:
        """Shape keys found in at least `min_documents` ready documents."""
        return {r[0] for r in self.db.execute("SELECT key FROM shape_counts WHERE docs >= ?", (min_documents,))}

    def _put_sentences(self, sentences: list[SentenceVectors]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?)",
                            [(s.chunk_id, s.chunk_id.rpartition(":")[0], *s.blobs()) for s in sentences])

    def put_sentences(self, sentences: list[SentenceVectors]) -> None:
        """Sentence vectors for chunks already indexed (written after their documents became searchable,
        or in an index built before they were stored)."""
        with self.db:
            self._put_sentences(sentences)

    def sentences(self, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
        out = {}
        for i in range(0, len(chunk_ids), 500):  # SQLite caps the number of bound parameters
            part = chunk_ids[i:i + 500]
            rows = self.db.execute(f"SELECT chunk_id, spans, vectors FROM sentences WHERE chunk_id IN "
                                   f"({','.join('?' * len(part))})", part)
            out.update((r[0], SentenceVectors.from_blobs(*r)) for r in rows)
        return out

    def have_sentences(self, chunk_ids: list[str]) -> set[str]:
        """Which of these chunks have stored sentence vectors (their ids only, no vector is read)."""
        out: set[str] = set()
        for i in range(0, len(chunk_ids), 500):  # SQLite caps the number of bound parameters
            part = chunk_ids[i:i + 500]
            out.update(r[0] for r in self.db.execute(
                f"SELECT chunk_id FROM sentences WHERE chunk_id IN ({','.join('?' * len(part))})", part))
        return out

    def without_sentences(self) -> list[str]:
        """Ready documents with chunks that have no stored sentence vectors: fewer sentence rows than
        chunks. Counted over the two doc_id indexes: a join reads every chunk's row, 2.6–29 s on each
        ingest at a million chunks (docs/BENCHMARKS.md "Scale")."""
        return [r[0] for r in self.db.execute(
            "SELECT d.doc_id FROM documents d WHERE d.status='ready' AND "
            "(SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) > "
            "(SELECT COUNT(*) FROM sentences s WHERE s.doc_id = d.doc_id)")]

    def commit(self, doc_id: str, replaced: list[str]) -> None:
        with self.db:
            for old in replaced:
                if old != doc_id:
                    self._delete(old)
            if not self._ready(doc_id):
                self.db.execute("UPDATE documents SET status='ready' WHERE doc_id=?", (doc_id,))
                self._count_shapes(doc_id, +1)
            self._bump()

    def delete(self, doc_id: str) -> None:
        with self.db:
            self._delete(doc_id)
            self._bump()

    def _bump(self) -> None:
        self.db.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET "
                        "value = CAST(value AS INTEGER) + 1")

    def generation(self) -> int:
        """Changes whenever a document is committed or deleted, by this process or another one."""
        return int(self.get_meta("generation") or 0)

    def _delete(self, doc_id: str) -> None:
        if self._ready(doc_id):
            self._count_shapes(doc_id, -1)
        self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM sentences WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM shapes WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM chunk_vectors WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM headers WHERE doc_id=?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    def ready_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE status='ready'")}

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents WHERE status='ready'").fetchone()[0]

    def legacy_documents(self) -> list[str]:
        """Ready documents stored before programme and kind were fields (they carry report_type)."""
        return [r[0] for r in self.db.execute(
            "SELECT d.doc_id FROM documents d JOIN headers h ON h.doc_id = d.doc_id "
            "WHERE d.status='ready' AND json_type(h.header, '$.programme') IS NULL")]

    def rewrite(self, doc: Document, chunks: list[Chunk]) -> None:
        """Store a document's and its chunks' records again, same ids and text (a metadata migration)."""
        with self.db:
            data, header = _record(doc)
            self.db.execute("UPDATE documents SET data=? WHERE doc_id=?", (data, doc.doc_id))
            self.db.execute("INSERT OR REPLACE INTO headers VALUES (?, ?)", (doc.doc_id, header))
            self.db.executemany("UPDATE chunks SET data=? WHERE chunk_id=?",
                                [(json.dumps(c.to_dict()), c.chunk_id) for c in chunks])
            self._bump()

    def distinct(self, field: str) -> list:
        """Distinct values of a document field, without loading any document text."""
        rows = self.db.execute(f"SELECT DISTINCT json_extract(h.header, '$.{field}') FROM headers h "
                               "JOIN documents d ON d.doc_id = h.doc_id WHERE d.status='ready'")
        return sorted(r[0] for r in rows if r[0] is not None and valid(field, r[0]))  # a bad stored value: unknown

    def distinct_forces(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT j.value FROM headers h JOIN documents d ON d.doc_id = h.doc_id, "
                               "json_each(h.header, '$.forces') j WHERE d.status='ready'")
        return sorted(r[0] for r in rows if isinstance(r[0], str))

    def documents(self) -> list[Document]:
        rows = self.db.execute("SELECT data FROM documents WHERE status='ready' ORDER BY source")
        return [Document.from_dict(json.loads(r[0])) for r in rows]

    def headers(self) -> dict[str, Document]:
        """Every ready document's record without its text (titles, sections, pages, metadata)."""
        rows = self.db.execute("SELECT h.doc_id, h.header FROM headers h JOIN documents d ON d.doc_id = h.doc_id "
                               "WHERE d.status='ready'")
        return {r[0]: Document.from_dict(json.loads(r[1]) | {"text": ""}) for r in rows}

    def document(self, doc_id: str) -> Document | None:
        row = self.db.execute("SELECT data FROM documents WHERE doc_id=? AND status='ready'",
                              (doc_id,)).fetchone()
        return Document.from_dict(json.loads(row[0])) if row else None

    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        sql = ("SELECT c.data FROM chunks c JOIN documents d ON c.doc_id = d.doc_id "
               "WHERE d.status='ready'" + (" AND c.doc_id=?" if doc_id else "") + " ORDER BY c.chunk_id")
        rows = self.db.execute(sql, (doc_id,) if doc_id else ())
        return [Chunk.from_dict(json.loads(r[0])) for r in rows]

    def chunk_ids(self) -> list[str]:
        """The ready documents' chunk ids, sorted (no record is parsed). Read from the chunk id index
        alone and kept by their document's id: a join with documents would read every chunk's row, on
        every settle and every reader's first search (docs/BENCHMARKS.md "Scale")."""
        ready = {r[0] for r in self.db.execute("SELECT doc_id FROM documents WHERE status='ready'")}
        return [c for (c,) in self.db.execute("SELECT chunk_id FROM chunks ORDER BY chunk_id") if doc_of(c) in ready]

    def chunk_ids_of(self, doc_ids: list[str]) -> list[str]:
        """The chunk ids of those of these documents that are ready, sorted."""
        out = []
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            out += [r[0] for r in self.db.execute(
                f"SELECT c.chunk_id FROM chunks c JOIN documents d ON c.doc_id = d.doc_id WHERE d.status='ready' "
                f"AND c.doc_id IN ({','.join('?' * len(part))})", part)]
        return sorted(out)

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        """These chunks' records, whatever their document's status (a reader may still cite a
        document being replaced)."""
        out = {}
        for i in range(0, len(chunk_ids), 500):  # SQLite caps the number of bound parameters
            part = chunk_ids[i:i + 500]
            rows = self.db.execute(f"SELECT chunk_id, data FROM chunks WHERE chunk_id IN "
                                   f"({','.join('?' * len(part))})", part)
            out.update((r[0], Chunk.from_dict(json.loads(r[1]))) for r in rows)
        return out

    def chunk_count(self, doc_id: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id=?", (doc_id,)).fetchone()[0]


def _record(doc: Document) -> tuple[str, str]:
    """The document's JSON, and the same without its text."""
    d = doc.to_dict()
    return json.dumps(d), json.dumps({k: v for k, v in d.items() if k != "text"})
