"""The Chroma collection that holds one vector per chunk, with flat metadata for filtering."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ingest.records import Chunk

from . import offline
from .filters import UNKNOWN_YEAR, Filters, force_key

COLLECTION = "hmiqa_chunks"
DOC_COLLECTION = "hmiqa_doc_vectors"  # one vector per document: its title and opening text


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
        import chromadb
        from chromadb.config import Settings

        self.client = client or chromadb.PersistentClient(path=str(path),
                                                          settings=Settings(anonymized_telemetry=False))
        # embedding_function=None: vectors always come from our Embedder; Chroma's default
        # function would try to download a model.
        self.collection = self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.docs = self.client.get_or_create_collection(
            DOC_COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})

    def add(self, chunks: list[Chunk], vectors: np.ndarray, batch: int = 1000) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i:i + batch]
            self.collection.upsert(
                ids=[c.chunk_id for c in part], embeddings=vectors[i:i + batch].tolist(),
                documents=[c.text for c in part], metadatas=[self.metadata(c) for c in part])

    @staticmethod
    def metadata(c: Chunk) -> dict:
        # the whole chunk rides along, so a process that shares the collection (server mode)
        # can rebuild its chunk map and BM25 from Chroma alone
        meta = {"doc_id": c.doc_id, "year": c.year if c.year is not None else UNKNOWN_YEAR, "n_forces": len(c.forces),
                "programme": c.programme or "", "kind": c.kind or "", "section": c.section[:500], "title": c.title,
                "chunk": json.dumps(c.to_dict())}
        for f in c.forces:
            meta[force_key(f)] = True
        return meta

    def delete_doc(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})
        self.docs.delete(ids=[doc_id])

    def add_doc(self, doc_ids: list[str], vectors: np.ndarray) -> None:
        if doc_ids:
            self.docs.upsert(ids=list(doc_ids), embeddings=np.asarray(vectors).tolist())

    def doc_matrix(self) -> tuple[list[str], np.ndarray]:
        """Every document vector: (doc_ids, matrix with one unit row per document)."""
        got = self.docs.get(include=["embeddings"])
        if not got["ids"]:
            return [], np.zeros((0, 0), dtype=np.float32)
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)

    def doc_ids(self) -> set[str]:
        got = self.collection.get(include=["metadatas"])
        return {m["doc_id"] for m in got["metadatas"]}

    def count(self) -> int:
        return self.collection.count()

    def query(self, vector: np.ndarray, k: int, filters: Filters | None) -> list[tuple[str, float]]:
        if self.count() == 0:
            return []
        res = self.collection.query(query_embeddings=[vector.tolist()], n_results=k,
                                    where=filters.where() if filters else None, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]
