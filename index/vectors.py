"""The Chroma collection that holds one vector per chunk, with flat metadata for filtering."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingest.records import Chunk

from . import offline
from .filters import UNKNOWN_YEAR, Filters, force_key

COLLECTION = "hmiqa_chunks"
DOC_COLLECTION = "hmiqa_doc_vectors"
PAGE = 5000  # records per request when reading a whole collection  # one vector per document: its title and opening text


class ChromaUnavailable(Exception):
    """The Chroma server could not be reached; the message says where and how to fix it."""


def http_client(host: str, port: int, ssl: bool = False, token: str = ""):
    """A client of a `chroma run` server (or Chroma's distributed deployment)."""
    offline.enforce()
    import chromadb
    from chromadb.config import Settings

    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers,
                                     settings=Settings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as e:  # chromadb raises several types (httpx, ValueError, its own) for one cause
        raise ChromaUnavailable(
            f"cannot reach the Chroma server at {'https' if ssl else 'http'}://{host}:{port} ({type(e).__name__}: "
            f"{e}). Start it (`chroma run --path DIR --host {host} --port {port}`) or unset HMIQA_CHROMA_HOST "
            "to use the embedded store") from None
    return client


class VectorStore:
    def __init__(self, path: Path | None = None, client=None):
        offline.enforce()
        # on a server, other processes rebuild their chunk map and BM25 from Chroma alone, so each
        # vector carries its whole chunk; the embedded store has them in the catalog already
        self.carry_chunks = client is not None
        self.path = path
        self.client = client or self._embedded()
        self._collections()

    def _embedded(self):
        import chromadb
        from chromadb.config import Settings

        return chromadb.PersistentClient(path=str(self.path), settings=Settings(anonymized_telemetry=False))

    def _collections(self) -> None:
        # embedding_function=None: vectors always come from our Embedder; Chroma's default
        # function would try to download a model.
        self.collection = self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.docs = self.client.get_or_create_collection(
            DOC_COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})

    def reopen(self) -> None:
        """See what another process wrote: the embedded store answers queries from a graph it loaded
        once (its counts and gets see new records, its nearest-neighbour search does not)."""
        self.client.close()  # the last client of this folder in the process stops its store
        self.client = self._embedded()
        self._collections()

    def close(self) -> None:
        self.client.close()

    def add(self, chunks: list[Chunk], vectors: np.ndarray, batch: int = 1000) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            # no `documents`: nothing reads the text back from here, and Chroma would index it for
            # full-text search (measured: most of the store's size on disk, docs/BENCHMARKS.md "Scale")
            self.collection.upsert(ids=[c.chunk_id for c in part], embeddings=vectors[i:i + batch].tolist(),
                                   metadatas=[self.metadata(c) for c in part])

    def metadata(self, c: Chunk) -> dict:
        """What filters read (doc, year, forces, programme, kind), and on a server the whole chunk."""
        meta = {"doc_id": c.doc_id, "year": c.year if c.year is not None else UNKNOWN_YEAR, "n_forces": len(c.forces),
                "programme": c.programme or "", "kind": c.kind or ""}
        if self.carry_chunks:
            meta["chunk"] = json.dumps(c.to_dict())
        for f in c.forces:
            meta[force_key(f)] = True
        return meta

    def delete_doc(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})
        self.docs.delete(ids=[doc_id])

    def add_doc(self, doc_ids: list[str], vectors: np.ndarray) -> None:
        if doc_ids:
            self.docs.upsert(ids=list(doc_ids), embeddings=np.asarray(vectors).tolist())

    @staticmethod
    def _pages(collection, include: list[str]):
        """Every record of a collection, a page at a time: one request for all of them overflows
        SQLite's limit on bound variables past ~32k records."""
        offset = 0
        while True:
            got = collection.get(include=include, limit=PAGE, offset=offset)
            yield got
            if len(got["ids"]) < PAGE:
                return
            offset += PAGE

    def doc_matrix(self) -> tuple[list[str], np.ndarray]:
        """Every document vector: (doc_ids, matrix with one unit row per document)."""
        ids, rows = [], []
        for got in self._pages(self.docs, ["embeddings"]):
            ids += got["ids"]
            rows += list(got["embeddings"])
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        return ids, np.asarray(rows, dtype=np.float32)

    def doc_ids(self) -> set[str]:
        """The documents that have chunk vectors (reads every vector's metadata: for repair only)."""
        return {m["doc_id"] for got in self._pages(self.collection, ["metadatas"]) for m in got["metadatas"]}

    def warm_up(self) -> None:
        """Chroma reads its nearest-neighbour graph on the first query (seconds at a million chunks):
        one query with a stored vector, so no model is needed for it."""
        got = self.collection.get(limit=1, include=["embeddings"])
        if got["ids"]:
            self.collection.query(query_embeddings=[list(got["embeddings"][0])], n_results=1, include=[])

    def count(self) -> int:
        return self.collection.count()

    def embeddings(self, chunk_ids: list[str]) -> np.ndarray:
        """These chunks' vectors, in this order."""
        rows: dict[str, np.ndarray] = {}
        for i in range(0, len(chunk_ids), PAGE):
            got = self.collection.get(ids=chunk_ids[i:i + PAGE], include=["embeddings"])
            rows.update(zip(got["ids"], got["embeddings"], strict=True))
        return np.asarray([rows[c] for c in chunk_ids], dtype=np.float32)

    def query(self, vector: np.ndarray, k: int, filters: Filters | None) -> list[tuple[str, float]]:
        # no count() first: it costs ~5 ms at 100k vectors, every search queries twice, and Chroma answers
        # an empty collection with empty lists
        res = self.collection.query(query_embeddings=[vector.tolist()], n_results=k,
                                    where=filters.where() if filters else None, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]
