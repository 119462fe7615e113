"""The catalog kept in a Chroma server, so that several processes share one corpus.

Documents (with their cleaned text) live in their own collection, one record each; chunks are
already in the vector collection, whose metadata carries each chunk's full record. A 'generation'
record changes on every commit and delete, which tells other processes to rebuild what they cache
(the chunk map and BM25). Chroma needs a vector for every record: documents carry a constant one,
never queried.
"""
from __future__ import annotations

import json

from ingest.manifest import valid
from ingest.records import Chunk, Document

from .catalogs import Placement, Version
from .sentences import SentenceVectors

DOCS = "hmiqa_documents"
SENTENCES = "hmiqa_sentences"  # one record per chunk: its sentence vectors as text, never queried
PLACEHOLDER = [1.0]
PAGE = 5000  # chunks per request when reading them all


class ChromaCatalog:
    def __init__(self, client, chunks_collection):
        self.docs = client.get_or_create_collection(DOCS, embedding_function=None)
        self.sentence_rows = client.get_or_create_collection(SENTENCES, embedding_function=None)
        self.chunks_collection = chunks_collection

    def close(self) -> None:
        pass

    # --- meta -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        got = self.docs.get(ids=[f"meta:{key}"], include=["metadatas"])
        return got["metadatas"][0]["value"] if got["ids"] else None

    def set_meta(self, key: str, value: str) -> None:
        self.docs.upsert(ids=[f"meta:{key}"], embeddings=[PLACEHOLDER], metadatas=[{"kind": "meta", "value": value}])

    def _bump(self) -> None:
        self.set_meta("generation", str(self.generation() + 1))

    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    # --- documents ------------------------------------------------------------------------------
    def _rows(self, where: dict, with_text: bool = False) -> list[tuple[str, dict, str | None]]:
        got = self.docs.get(where={"$and": [{"kind": "doc"}, where]} if where else {"kind": "doc"},
                            include=["metadatas", "documents"] if with_text else ["metadatas"])
        docs = got.get("documents") or [None] * len(got["ids"])
        return list(zip(got["ids"], got["metadatas"], docs, strict=True))

    def by_source(self, source: str) -> list[Version]:
        return [Version(i, m["file_hash"], m["status"]) for i, m, _ in self._rows({"source": source})]

    def status(self, doc_id: str) -> Placement | None:
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        return Placement(got["metadatas"][0]["source"], got["metadatas"][0]["status"]) if got["ids"] else None

    def pending(self) -> list[str]:
        return [i for i, _, _ in self._rows({"status": {"$ne": "ready"}})]

    def sources(self) -> dict[str, str]:
        return {m["source"]: i for i, m, _ in self._rows({})}

    def begin(self, doc: Document, chunks: list[Chunk], sentences: list[SentenceVectors] = (),
              shapes: set[int] | None = None, vectors=None) -> None:
        """The document as pending, with its chunks' sentence vectors; its chunks arrive with their
        vectors (VectorStore.add)."""
        meta = {"kind": "doc", "source": doc.source, "file_hash": doc.file_hash, "status": "pending",
                "year": doc.year if doc.year is not None else -1, "programme": doc.programme or "",
                "doc_kind": doc.kind or "",
                "forces": json.dumps(doc.forces)}
        self.docs.upsert(ids=[doc.doc_id], embeddings=[PLACEHOLDER], metadatas=[meta],
                         documents=[json.dumps(doc.to_dict())])
        self.sentence_rows.delete(where={"doc_id": doc.doc_id})
        self.put_sentences(list(sentences))

    def put_sentences(self, sentences: list[SentenceVectors]) -> None:
        for i in range(0, len(sentences), 500):
            part = sentences[i:i + 500]
            # in metadata, not `documents`: Chroma would index base64 for full-text search
            self.sentence_rows.upsert(ids=[s.chunk_id for s in part], embeddings=[PLACEHOLDER] * len(part),
                                      metadatas=[{"doc_id": s.chunk_id.rpartition(":")[0], "vectors": s.to_text()}
                                                 for s in part])

    def sentences(self, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
        if not chunk_ids:
            return {}
        got = self.sentence_rows.get(ids=list(chunk_ids), include=["metadatas"])
        return {i: SentenceVectors.from_text(i, m["vectors"]) for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def boilerplate(self, min_documents: int) -> None:
        """Not stored on a server: the Index finds it from the chunks."""
        return None

    def without_shapes(self) -> list[str]:
        return []

    def chunk_vectors(self, doc_ids: list[str], dim: int) -> dict:
        """Not kept beside a server's vectors: a filtered search asks the server."""
        return {}

    def without_chunk_vectors(self) -> list[str]:
        return []

    def have_sentences(self, chunk_ids: list[str]) -> set[str]:
        return set(self.sentence_rows.get(ids=list(chunk_ids), include=[])["ids"]) if chunk_ids else set()

    def without_sentences(self) -> list[str]:
        # ids only: a row's metadata carries its vectors, megabytes a report
        have = {i.rpartition(":")[0] for i in self.sentence_rows.get(include=[])["ids"]}
        return sorted({c.doc_id for c in self.chunks()} - have)

    def commit(self, doc_id: str, replaced: list[str]) -> None:
        gone = [old for old in replaced if old != doc_id]
        if gone:
            self.docs.delete(ids=gone)
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        self.docs.update(ids=[doc_id], metadatas=[{**got["metadatas"][0], "status": "ready"}])
        self._bump()

    def delete(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])
        self.sentence_rows.delete(where={"doc_id": doc_id})
        self._bump()

    def count(self) -> int:
        return len(self._rows({"status": "ready"}))

    def distinct(self, field: str) -> list:
        if field in ("year", "programme", "kind"):
            key = "doc_kind" if field == "kind" else field  # 'kind' already names the row type here
            values = {m.get(key, "") for _, m, _ in self._rows({"status": "ready"})}
            return sorted(v for v in values if v not in (-1, "") and valid(field, v))  # a bad stored value: unknown
        return sorted({v for d in self.documents() if (v := getattr(d, field)) is not None})

    def distinct_forces(self) -> list[str]:
        return sorted({f for _, m, _ in self._rows({"status": "ready"}) for f in json.loads(m["forces"])
                       if isinstance(f, str)})

    def documents(self) -> list[Document]:
        docs = [Document.from_dict(json.loads(t)) for _, _, t in self._rows({"status": "ready"}, with_text=True)]
        return sorted(docs, key=lambda d: d.source)

    def headers(self) -> dict[str, Document]:
        out = {}
        for d in self.documents():
            d.text = ""
            out[d.doc_id] = d
        return out

    def document(self, doc_id: str) -> Document | None:
        got = self.docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"] or got["metadatas"][0].get("status") != "ready":
            return None
        return Document.from_dict(json.loads(got["documents"][0]))

    # --- chunks ---------------------------------------------------------------------------------
    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        ready = {i for i, _, _ in self._rows({"status": "ready"})}
        out, offset = [], 0
        while True:  # paged: a large corpus has more chunks than one response should carry
            got = self.chunks_collection.get(where={"doc_id": doc_id} if doc_id else None, include=["metadatas"],
                                             limit=PAGE, offset=offset)
            for m in got["metadatas"]:
                if m["doc_id"] in ready and "chunk" in m:
                    out.append(Chunk.from_dict(json.loads(m["chunk"])))
            if len(got["ids"]) < PAGE:
                break
            offset += PAGE
        return sorted(out, key=lambda c: c.chunk_id)

    def chunk_ids(self) -> list[str]:
        """The ready documents' chunk ids, sorted (no record is parsed)."""
        ready = {i for i, _, _ in self._rows({"status": "ready"})}
        out, offset = [], 0
        while True:
            got = self.chunks_collection.get(include=[], limit=PAGE, offset=offset)
            out += [c for c in got["ids"] if c.rpartition(":")[0] in ready]
            if len(got["ids"]) < PAGE:
                break
            offset += PAGE
        return sorted(out)

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        out = {}
        for i in range(0, len(chunk_ids), PAGE):
            got = self.chunks_collection.get(ids=list(chunk_ids[i:i + PAGE]), include=["metadatas"])
            out.update((c, Chunk.from_dict(json.loads(m["chunk"])))
                       for c, m in zip(got["ids"], got["metadatas"], strict=True) if "chunk" in m)
        return out

    def chunk_count(self, doc_id: str) -> int:
        return len(self.chunks_collection.get(where={"doc_id": doc_id}, include=[])["ids"])
