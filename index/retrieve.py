"""Retrievers share one contract, `search(query, k, filters, prefer=None) -> list[Passage]`, chosen by name.

Filters (hard) are applied inside each retriever before its top k is cut (a Chroma `where`, a BM25
mask), so a narrow filter still returns k passages when the index holds them. Preferences (soft,
inferred from a question) only rank: the hybrid retriever raises the passages that meet them and
searches a second time with them to reach matching passages beyond its pool (index/filters.py).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .records import Filters, Passage, Preferences
from .store import Index


class UnknownRetriever(ValueError):
    pass


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]: ...


class DenseRetriever:
    name = "dense"

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        chunks = self.index.chunk_map()
        if not chunks or not query.strip():
            return []
        vector, n = self.index.embedder.embed_query(query), k
        while True:
            found = self.index.vectors.query(vector, n, filters)
            hits = [(cid, s) for cid, s in found if cid in chunks]
            # vectors of a report being ingested are in the store before readers see its chunks: look
            # further so the k nearest of the corpus being read come back, as they would without it
            if len(hits) >= k or len(found) < n:
                break
            n *= 2
        hits = hits[:k]
        return [Passage.of(chunks[cid], s, r + 1, {"dense": s}) for r, (cid, s) in enumerate(hits)]


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        bm25 = self.index.bm25
        if bm25 is None or not query.strip():
            return []
        chunks = self.index.chunk_map()
        scores = bm25.scores(query).astype(np.float64)
        if filters is not None and not filters.is_empty():
            scores = np.where(filters.mask(self.index.columns()), scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:k]
        out = []
        for i in order:
            if not np.isfinite(scores[i]) or scores[i] <= 0:
                break
            out.append(Passage.of(chunks[bm25.chunk_ids[i]], scores[i], len(out) + 1, {"bm25": float(scores[i])}))
        return out


class HybridRetriever:
    """Fuses BM25 and dense results (reciprocal rank fusion, or a weighted sum of scores normalised
    over the candidates), adds how close each passage's document is to the question (its title and
    opening text), and raises the passages that meet the question's preferences."""

    name = "hybrid"

    def __init__(self, index: Index, fusion: str = "weighted", rrf_k: int = 60, alpha: float = 0.3,
                 pool: int = 50, doc_weight: float = 0.3, prefer_weight: float = 0.3):
        if fusion not in ("rrf", "weighted"):
            raise UnknownRetriever(f"unknown fusion '{fusion}'; use 'rrf' or 'weighted'")
        self.index, self.fusion, self.rrf_k, self.alpha, self.pool = index, fusion, rrf_k, alpha, pool
        self.doc_weight, self.prefer_weight = doc_weight, prefer_weight
        self.dense, self.bm25 = DenseRetriever(index), BM25Retriever(index)

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        n = max(self.pool, k * 3)
        searches = [filters]
        if prefer is not None and not prefer.is_empty():
            searches.append(prefer.pull_in(filters))
        lists: dict[str, dict[str, Passage]] = {"dense": {}, "bm25": {}}
        for f in searches:  # raw scores do not depend on the filter, so the two searches merge
            for name, retriever in (("dense", self.dense), ("bm25", self.bm25)):
                for p in retriever.search(query, n, f):
                    lists[name].setdefault(p.chunk_id, p)
        fused: dict[str, float] = {}
        detail: dict[str, dict[str, float]] = {}
        by_id: dict[str, Passage] = {}
        for name, found in lists.items():
            if not found:
                continue
            ranked = sorted(found.values(), key=lambda p: -p.score)
            raw = [p.score for p in ranked]
            lo, hi = min(raw), max(raw)
            weight = self.alpha if name == "dense" else 1 - self.alpha
            for rank, p in enumerate(ranked, start=1):
                by_id.setdefault(p.chunk_id, p)
                d = detail.setdefault(p.chunk_id, {})
                d[name], d[f"{name}_rank"] = p.score, rank
                if self.fusion == "rrf":
                    contrib = 1.0 / (self.rrf_k + rank)
                else:
                    contrib = weight * ((p.score - lo) / (hi - lo) if hi > lo else 1.0)
                fused[p.chunk_id] = fused.get(p.chunk_id, 0.0) + contrib
        ids = list(fused)
        if not ids:
            return []
        total = np.array([fused[c] for c in ids])
        if self.fusion == "rrf":
            total /= total.max()  # RRF sums are ~1/60: on the weighted scale before the terms below
        if self.doc_weight:
            total += self.doc_weight * self._doc_closeness(query, [by_id[c].doc_id for c in ids])
        if self.prefer_weight and len(searches) > 1 and (cols := self.index.columns()) is not None:
            agree, least, force_ok = prefer.agreement(cols, cols.rows(ids))
            total += self.prefer_weight * agree
            for c, a, m, f in zip(ids, agree, least, force_ok, strict=True):
                d = detail[c]
                d["preferred"], d["consistent"], d["force_consistent"] = float(a), float(m >= 0.5), float(f)
        order = sorted(range(len(ids)), key=lambda i: (-total[i], ids[i]))[:k]
        out = []
        for r, i in enumerate(order):
            p = by_id[ids[i]]
            p.score, p.rank, p.scores = float(total[i]), r + 1, detail[ids[i]]
            out.append(p)
        return out

    def _doc_closeness(self, query: str, doc_ids: list[str]) -> np.ndarray:
        """Cosine of the question with each passage's document vector, scaled 0..1 over the documents."""
        rows, matrix = self.index.doc_vectors()
        if not rows:
            return np.zeros(len(doc_ids))
        sims = matrix @ self.index.embedder.embed_query(query)
        lo, hi = float(sims.min()), float(sims.max())
        scaled = (sims - lo) / (hi - lo) if hi > lo else np.ones_like(sims)
        return np.array([scaled[rows[d]] if d in rows else 0.0 for d in doc_ids])


RETRIEVERS = {"dense": DenseRetriever, "bm25": BM25Retriever, "hybrid": HybridRetriever}


def get_retriever(name: str, index: Index, **options) -> Retriever:
    try:
        cls = RETRIEVERS[name]
    except KeyError:
        raise UnknownRetriever(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}") from None
    return cls(index, **options) if cls is HybridRetriever else cls(index)
