"""Retrievers share one contract, `search(query, k, filters, prefer=None) -> list[Passage]`, chosen by name.

Filters (hard) are applied inside each retriever before its top k is cut (a Chroma `where`, a BM25
mask), so a narrow filter still returns k passages when the index holds them. Preferences (soft,
inferred from a question) only rank: the hybrid retriever raises the passages that meet them and
searches a second time with them to reach matching passages beyond its pool (index/filters.py).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from .corpus import ChunkMap, doc_of
from .filters import Columns
from .records import Filters, Passage, Preferences
from .store import Index


class UnknownRetriever(ValueError):
    pass


FUSIONS = ("weighted", "rrf")  # weighted: alpha x dense + (1 - alpha) x BM25; rrf: reciprocal rank fusion


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]: ...


def _passages(chunks: ChunkMap, ranked: list[tuple[str, float]], name: str) -> list[Passage]:
    """Ranked ids read as passages (the only chunk records a search reads)."""
    got = chunks.get_many([cid for cid, _ in ranked])
    ranked = [(cid, s) for cid, s in ranked if cid in got]  # another process deleted one meanwhile
    return [Passage.of(got[cid], s, r + 1, {name: s}) for r, (cid, s) in enumerate(ranked)]


class DenseRetriever:
    """Nearest chunks by cosine: an exact pass over the stored vectors of the chunks the filters leave
    (or of the whole corpus) when they are few enough, else Chroma's approximate index. Exact where it
    is affordable: Chroma's filtered query costs ~190 ms at 100k chunks on two cores, whatever the
    filter leaves (docs/BENCHMARKS.md "Scale"), and its graph can miss a true neighbour, differently
    from one process to the next, which made the same question rank differently run to run."""

    name = "dense"
    exact_max = 50_000  # chunks: above this, the exact pass costs more than the unfiltered nearest
    broad = 0.02  # a filter passing this share of the corpus or more: nearest unfiltered, then the mask
    broad_max = 10_000  # nearest asked for at most (74 ms at a million vectors, docs/BENCHMARKS.md)

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        return _passages(self.index.chunk_map(), self.ranked(query, k, filters), self.name)

    def ranked(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k nearest chunk ids of the corpus being read, with their cosine similarity."""
        chunks = self.index.chunk_map()
        if not chunks or not query.strip():
            return []
        vector, n = self.index.embedder.embed_query(query), k
        cols = self.index.columns()
        if cols is not None and filters is not None and not filters.is_empty():
            mask = filters.mask(cols)
            found = self._exact(vector, k, cols, mask)
            if found is None:
                found = self._broad(vector, k, cols, mask)
            if found is not None:
                return found
        elif cols is not None and len(cols.chunk_ids) <= self.exact_max:
            if (matrix := self.index.chunk_matrix(cols, len(vector))) is not None:
                scores = matrix @ vector
                return [(cols.chunk_ids[i], float(scores[i])) for i in _top(scores, k)]
        while True:
            found = self.index.vectors.query(vector, n, filters)
            hits = [(cid, s) for cid, s in found if cid in chunks]
            # vectors of a report being ingested are in the store before readers see its chunks: look
            # further so the k nearest of the corpus being read come back, as they would without it
            if len(hits) >= k or len(found) < n:
                break
            n *= 2
        return hits[:k]

    def _broad(self, vector: np.ndarray, k: int, cols: Columns, mask: np.ndarray) -> list[tuple[str, float]] | None:
        """A filter too wide for the exact pass (a year range, a programme, an inferred "since 2014"):
        Chroma's filtered query costs seconds over a million vectors (docs/BENCHMARKS.md "Scale"), so take
        the nearest without it, enough that k of them should pass (a few times k over the share passing),
        and keep those it passes. None when the share is too small, or the candidates allowed run out
        before k pass, or Chroma's graph gave fewer than asked: its filtered query answers then."""
        share = float(mask.mean()) if len(mask) else 0.0
        if share < self.broad:
            return None
        chunks, pos = self.index.chunk_map(), cols.positions()
        n = min(max(int(2 * k / share), 4 * k, 20), self.broad_max)
        while True:
            found = self.index.vectors.query(vector, n, None)
            hits = [(c, s) for c, s in found if c in chunks and c in pos and mask[pos[c]]]
            if len(hits) >= k:
                return hits[:k]
            if len(found) < n:  # the whole collection, or all the graph would give
                return hits if n >= len(chunks) + len(chunks.kept) else None
            if n >= self.broad_max:
                return None
            n = min(4 * n, self.broad_max)

    def _exact(self, vector: np.ndarray, k: int, cols: Columns, mask: np.ndarray) -> list[tuple[str, float]] | None:
        """The k nearest of the chunks the filters leave, by cosine over their stored vectors; None
        when they are too many, or some lack stored vectors (an index from before they were kept, or a
        document a writer took out meanwhile): Chroma answers then."""
        rows = np.flatnonzero(mask)
        if len(rows) > self.exact_max:
            return None
        if not len(rows):
            return []
        ids = [cols.chunk_ids[i] for i in rows]
        matrix = self.index.stored_chunk_vectors(ids, len(vector))
        if matrix is None:
            return None
        scores = matrix @ vector
        return [(ids[i], float(scores[i])) for i in _top(scores, k)]


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: Index):
        self.index = index

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        return _passages(self.index.chunk_map(), self.ranked(query, k, filters), self.name)

    def ranked(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k best-scoring chunk ids (score above 0) that pass the filters."""
        bm25 = self.index.bm25
        if bm25 is None or not query.strip():
            return []
        scores = bm25.scores(query).astype(np.float64)
        if filters is not None and not filters.is_empty():
            scores = np.where(filters.mask(self.index.columns()), scores, -np.inf)
        order = _top(scores, k)
        return [(bm25.chunk_ids[i], float(scores[i])) for i in order if np.isfinite(scores[i]) and scores[i] > 0]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the k highest scores, best first, ties in row order: what a stable argsort of the
    whole vector gives, without sorting a million scores for ten."""
    if k >= len(scores):
        top = np.arange(len(scores))
    else:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]  # the k-th highest
        above = np.flatnonzero(scores > kth)
        top = np.concatenate([above, np.flatnonzero(scores == kth)[:k - len(above)]])
    return top[np.lexsort((top, -scores[top]))]


class HybridRetriever:
    """Fuses BM25 and dense results (reciprocal rank fusion, or a weighted sum of scores normalised
    over the candidates), adds how close each passage's document is to the question (its title and
    opening text), and raises the passages that meet the question's preferences."""

    name = "hybrid"

    def __init__(self, index: Index, *, fusion: str, rrf_k: int, alpha: float, pool: int, doc_weight: float,
                 prefer_weight: float):
        if fusion not in FUSIONS:
            raise UnknownRetriever(f"unknown fusion '{fusion}'; use one of: {', '.join(FUSIONS)}")
        self.index, self.fusion, self.rrf_k, self.alpha, self.pool = index, fusion, rrf_k, alpha, pool
        self.doc_weight, self.prefer_weight = doc_weight, prefer_weight
        self.dense, self.bm25 = DenseRetriever(index), BM25Retriever(index)

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               prefer: Preferences | None = None) -> list[Passage]:
        n = max(self.pool, k * 3)
        searches = [filters]
        if prefer is not None and not prefer.is_empty():
            searches.append(prefer.pull_in(filters))
        lists: dict[str, dict[str, float]] = {"dense": {}, "bm25": {}}
        for f in searches:  # raw scores do not depend on the filter, so the two searches merge
            for name, retriever in (("dense", self.dense), ("bm25", self.bm25)):
                for cid, score in retriever.ranked(query, n, f):
                    lists[name].setdefault(cid, score)
        fused: dict[str, float] = {}
        detail: dict[str, dict[str, float]] = {}
        for name, found in lists.items():
            if not found:
                continue
            ranked = sorted(found.items(), key=lambda x: -x[1])
            lo, hi = min(found.values()), max(found.values())
            weight = self.alpha if name == "dense" else 1 - self.alpha
            for rank, (cid, score) in enumerate(ranked, start=1):
                d = detail.setdefault(cid, {})
                d[name], d[f"{name}_rank"] = score, rank
                if self.fusion == "rrf":
                    contrib = 1.0 / (self.rrf_k + rank)
                else:
                    contrib = weight * ((score - lo) / (hi - lo) if hi > lo else 1.0)
                fused[cid] = fused.get(cid, 0.0) + contrib
        ids = list(fused)
        if not ids:
            return []
        total = np.array([fused[c] for c in ids])
        if self.fusion == "rrf":
            total /= total.max()  # RRF sums are ~1/60: on the weighted scale before the terms below
        if self.doc_weight:
            total += self.doc_weight * self._doc_closeness(query, [doc_of(c) for c in ids])
        meets: dict[str, tuple[bool, bool]] = {}
        if self.prefer_weight and len(searches) > 1 and (cols := self.index.columns()) is not None:
            agree, least, force_ok = prefer.agreement(cols, cols.rows(ids))
            total += self.prefer_weight * agree
            for c, a, m, f in zip(ids, agree, least, force_ok, strict=True):
                detail[c]["preferred"] = float(a)
                meets[c] = (bool(m >= 0.5), bool(f))
        order = sorted(range(len(ids)), key=lambda i: (-total[i], ids[i]))[:k]
        got = self.index.chunk_map().get_many([ids[i] for i in order])
        out = []
        for i in order:
            if ids[i] in got:  # not deleted by another process meanwhile
                out.append(Passage.of(got[ids[i]], total[i], len(out) + 1, detail[ids[i]], *meets.get(ids[i], (None, None))))
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


RETRIEVERS = {"hybrid": HybridRetriever, "dense": DenseRetriever, "bm25": BM25Retriever}


def get_retriever(name: str, index: Index, **options) -> Retriever:
    try:
        cls = RETRIEVERS[name]
    except KeyError:
        raise UnknownRetriever(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}") from None
    return cls(index, **options) if cls is HybridRetriever else cls(index)
