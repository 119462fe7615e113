"""Retrievers share one contract, `search(query, k, filters) -> list[Passage]`, chosen by name.

Filters are applied inside each retriever before its top k is cut (a Chroma `where`, a BM25 mask),
so a narrow filter still returns k passages when the index holds them.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from ingest.records import Chunk

from .records import Filters, Passage
from .store import Index


class UnknownRetriever(ValueError):
    pass


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]: ...


def matches(chunk: Chunk, filters: Filters | None) -> bool:
    if filters is None:
        return True
    if filters.forces and not set(filters.forces) & set(chunk.forces):
        return False
    if filters.year_from is not None and (chunk.year is None or chunk.year < filters.year_from):
        return False
    if filters.year_to is not None and (chunk.year is None or chunk.year > filters.year_to):
        return False
    if filters.programmes and chunk.programme not in filters.programmes:
        return False
    if filters.kinds and chunk.kind not in filters.kinds:
        return False
    if filters.doc_ids and chunk.doc_id not in filters.doc_ids:
        return False
    return True


class DenseRetriever:
    name = "dense"

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        chunks = self.index.chunk_map()
        if not chunks or not query.strip():
            return []
        hits = self.index.vectors.query(self.index.embedder.embed_query(query), k, filters)
        hits = [(cid, s) for cid, s in hits if cid in chunks]
        return [Passage.of(chunks[cid], s, r + 1, {"dense": s}) for r, (cid, s) in enumerate(hits)]


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        bm25 = self.index.bm25
        if bm25 is None or not query.strip():
            return []
        chunks = self.index.chunk_map()
        scores = bm25.scores(query).astype(np.float64)
        if filters is not None and not filters.is_empty():
            mask = np.array([matches(chunks[cid], filters) for cid in bm25.chunk_ids])
            scores = np.where(mask, scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:k]
        out = []
        for i in order:
            if not np.isfinite(scores[i]) or scores[i] <= 0:
                break
            out.append(Passage.of(chunks[bm25.chunk_ids[i]], scores[i], len(out) + 1, {"bm25": float(scores[i])}))
        return out


class HybridRetriever:
    """Fuses BM25 and dense results: reciprocal rank fusion or a weighted sum of normalised scores."""

    name = "hybrid"

    def __init__(self, index: Index, fusion: str = "weighted", rrf_k: int = 60, alpha: float = 0.3,
                 pool: int = 50):
        if fusion not in ("rrf", "weighted"):
            raise UnknownRetriever(f"unknown fusion '{fusion}'; use 'rrf' or 'weighted'")
        self.index, self.fusion, self.rrf_k, self.alpha, self.pool = index, fusion, rrf_k, alpha, pool
        self.dense, self.bm25 = DenseRetriever(index), BM25Retriever(index)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Passage]:
        n = max(self.pool, k * 3)
        lists = {"dense": self.dense.search(query, n, filters), "bm25": self.bm25.search(query, n, filters)}
        fused: dict[str, float] = {}
        detail: dict[str, dict[str, float]] = {}
        by_id: dict[str, Passage] = {}
        for name, passages in lists.items():
            if not passages:
                continue
            raw = [p.score for p in passages]
            lo, hi = min(raw), max(raw)
            weight = self.alpha if name == "dense" else 1 - self.alpha
            for p in passages:
                by_id[p.chunk_id] = p
                d = detail.setdefault(p.chunk_id, {})
                d[name], d[f"{name}_rank"] = p.score, p.rank
                if self.fusion == "rrf":
                    contrib = 1.0 / (self.rrf_k + p.rank)
                else:
                    contrib = weight * ((p.score - lo) / (hi - lo) if hi > lo else 1.0)
                fused[p.chunk_id] = fused.get(p.chunk_id, 0.0) + contrib
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        out = []
        for r, (cid, s) in enumerate(ranked):
            p = by_id[cid]
            p.score, p.rank, p.scores = s, r + 1, detail[cid]
            out.append(p)
        return out


RETRIEVERS = {"dense": DenseRetriever, "bm25": BM25Retriever, "hybrid": HybridRetriever}


def get_retriever(name: str, index: Index, **options) -> Retriever:
    try:
        cls = RETRIEVERS[name]
    except KeyError:
        raise UnknownRetriever(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}") from None
    return cls(index, **options) if cls is HybridRetriever else cls(index)
