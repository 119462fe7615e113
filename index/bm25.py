"""BM25 over the same chunk texts (with their context line), persisted beside the vectors.

Each chunk's tokens are kept (ids into one vocabulary, on disk beside the index), so a change
tokenises only the chunks it adds: the score matrix is rebuilt from ids, which is several times
faster than tokenising and stemming the whole corpus again (docs/BENCHMARKS.md, "Scale").
"""
from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.records import Chunk

from .corpus import doc_of


def _stemmer():
    import Stemmer
    return Stemmer.Stemmer("english")


_local = threading.local()


def _thread_stemmer():
    """PyStemmer's objects are not thread-safe: one per thread that searches."""
    if getattr(_local, "stemmer", None) is None:
        _local.stemmer = _stemmer()
    return _local.stemmer


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s
    return bm25s.tokenize(texts, stopwords="en", stemmer=_thread_stemmer(), return_ids=False, show_progress=False)


def _lucene_matrix(tokens: np.ndarray, lengths: np.ndarray, n_vocab: int, k1: float, b: float,
                   block: int = 1 << 20) -> dict:
    """bm25s's score matrix (token-major CSC: for each token, the documents holding it and their
    scores), computed with numpy: bm25s's own builder loops over documents in Python (5.6 s at 100k
    chunks, docs/BENCHMARKS.md "Scale"). Same formula: Lucene's idf and term-frequency saturation.
    Documents are counted a block of ~`block` tokens at a time and the pairs kept as int32, so the
    temporary arrays stay a fraction of the corpus's tokens (a whole-corpus pass doubled peak memory
    while a report was added at 100k chunks)."""
    n_docs = len(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    docs, toks, tfs = [], [], []
    lo = 0
    while lo < n_docs:  # (document, token, count) for each token a document holds, in document order
        hi = int(np.searchsorted(offsets, offsets[lo] + block, side="right")) - 1
        hi = min(max(hi, lo + 1), n_docs)
        part = tokens[offsets[lo]:offsets[hi]].astype(np.int64)
        doc_of = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths[lo:hi])
        pairs, tf = np.unique(doc_of * n_vocab + part, return_counts=True)
        docs.append((pairs // n_vocab + lo).astype(np.int32))
        toks.append((pairs % n_vocab).astype(np.int32))
        tfs.append(tf.astype(np.int32))
        lo = hi
    doc = np.concatenate(docs) if docs else np.zeros(0, np.int32)
    tok = np.concatenate(toks) if toks else np.zeros(0, np.int32)
    tf_all = np.concatenate(tfs) if tfs else np.zeros(0, np.int32)
    del docs, toks, tfs
    df = np.bincount(tok, minlength=n_vocab)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = lengths.mean() if n_docs else 1.0
    scores = np.empty(len(tok), dtype=np.float32)
    for i in range(0, len(tok), block):  # float64 within a block, as a whole-corpus pass computes it
        t = tf_all[i:i + block].astype(np.float32)
        tfc = t / (k1 * ((1 - b) + b * lengths[doc[i:i + block]] / avg) + t)
        scores[i:i + block] = (idf[tok[i:i + block]] * tfc).astype(np.float32)
    del tf_all
    order = np.argsort(tok, kind="stable")  # token-major; documents stay in order within a token
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tok, minlength=n_vocab))])
    return {"data": scores[order], "indices": doc[order], "indptr": indptr, "num_docs": n_docs}


class BM25Index:
    def __init__(self, retriever, chunk_ids: list[str], vocab: dict[str, int], tokens: np.ndarray,
                 offsets: np.ndarray):
        self.retriever = retriever
        self.chunk_ids = chunk_ids
        self.vocab = vocab  # token -> id, only ever extended
        self.tokens = tokens  # every chunk's token ids, concatenated in chunk_ids order
        self.offsets = offsets  # chunk i's tokens are tokens[offsets[i]:offsets[i + 1]]

    @classmethod
    def build(cls, chunks: list[Chunk], previous: "BM25Index | None" = None,
              again: set[str] = frozenset()) -> "BM25Index | None":
        """The index of `chunks`; the tokens of chunks `previous` already holds are reused."""
        by_id = {c.chunk_id: c for c in chunks}
        return cls.from_ids([c.chunk_id for c in chunks], lambda ids: [by_id[i].indexed_text for i in ids],
                            previous, again)

    @classmethod
    def from_ids(cls, chunk_ids: list[str], texts: Callable[[list[str]], list[str]],
                 previous: "BM25Index | None" = None, again: set[str] = frozenset(),
                 page: int = 5000) -> "BM25Index | None":
        """The index of these chunks, in this order; `texts(ids)` gives the indexed texts of the ones
        `previous` does not hold (or whose document is in `again`: indexed again, its chunk ids kept but
        perhaps not its context line), read and tokenised a page at a time so memory stays flat."""
        import bm25s
        if not chunk_ids:
            return None
        known = ({c: i for i, c in enumerate(previous.chunk_ids) if doc_of(c) not in again}
                 if previous is not None else {})
        vocab = dict(previous.vocab) if previous is not None else {}
        new = [c for c in chunk_ids if c not in known]
        fresh: dict[str, np.ndarray] = {}
        for i in range(0, len(new), page):
            part = new[i:i + page]
            for c, toks in zip(part, tokenize(texts(part)), strict=True):
                fresh[c] = np.array([vocab.setdefault(t, len(vocab)) for t in toks], dtype=np.int32)

        # a plain view of a memory-mapped array: slicing np.memmap itself builds a memmap object per
        # slice (9 of the 47 s of adding a report at 1M chunks)
        kept = np.asarray(previous.tokens) if previous is not None else None

        def tokens_of(c: str) -> np.ndarray:
            if c in fresh:
                return fresh[c]
            j = known[c]
            return kept[previous.offsets[j]:previous.offsets[j + 1]]

        lengths = np.fromiter((len(tokens_of(c)) for c in chunk_ids), dtype=np.int64, count=len(chunk_ids))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        tokens = np.empty(int(offsets[-1]), dtype=np.int32)
        for i, c in enumerate(chunk_ids):  # written in place: no list of a million arrays to concatenate
            tokens[offsets[i]:offsets[i + 1]] = tokens_of(c)
        del fresh, known
        # the scoring matrix holds only the ids in use, renumbered
        used = np.unique(tokens)
        remap = np.full(len(vocab) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        live_vocab = {t: int(remap[i]) for t, i in vocab.items() if remap[i] >= 0}
        retriever = bm25s.BM25()  # method "lucene", k1 1.5, b 0.75: what bm25s.index would build
        retriever.scores = _lucene_matrix(remap[tokens], lengths, len(used), retriever.k1, retriever.b)
        live_vocab[""] = len(used)  # bm25s's empty token, as its own index() adds it
        retriever.vocab_dict = live_vocab
        retriever.unique_token_ids_set = set(live_vocab.values())
        retriever.nonoccurrence_array = None  # only BM25L and BM25+ use one
        return cls(retriever, list(chunk_ids), vocab, tokens, offsets)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.retriever.save(str(tmp), show_progress=False)
        (tmp / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
        (tmp / "token_vocab.json").write_text(json.dumps(self.vocab))
        np.save(tmp / "tokens.npy", self.tokens)
        np.save(tmp / "offsets.npy", self.offsets)
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)

    @classmethod
    def load(cls, path: Path) -> "BM25Index | None":
        import bm25s
        if not (path / "chunk_ids.json").exists() or not (path / "tokens.npy").exists():
            return None  # none yet, or saved by a version that kept no tokens: rebuilt
        # memory-mapped: a query reads the postings of its own words, and the token ids are read only
        # when a writer adds to the index, so neither needs to sit in every reader's memory
        retriever = bm25s.BM25.load(str(path), show_progress=False, mmap=True)
        return cls(retriever, json.loads((path / "chunk_ids.json").read_text()),
                   json.loads((path / "token_vocab.json").read_text()),
                   np.load(path / "tokens.npy", mmap_mode="r"), np.load(path / "offsets.npy"))

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize([query])[0]
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return self.retriever.get_scores(tokens)
