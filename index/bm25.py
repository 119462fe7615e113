"""BM25 over the same chunk texts (with their context line), persisted beside the vectors."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np

from ingest.records import Chunk


def _stemmer():
    import Stemmer
    return Stemmer.Stemmer("english")


_local = threading.local()


def _thread_stemmer():
    """PyStemmer's objects are not thread-safe: one per thread that searches."""
    if getattr(_local, "stemmer", None) is None:
        _local.stemmer = _stemmer()
    return _local.stemmer


class BM25Index:
    def __init__(self, retriever, chunk_ids: list[str]):
        self.retriever = retriever
        self.chunk_ids = chunk_ids

    @classmethod
    def build(cls, chunks: list[Chunk]) -> "BM25Index | None":
        import bm25s
        if not chunks:
            return None
        tokens = bm25s.tokenize([c.indexed_text for c in chunks], stopwords="en", stemmer=_stemmer(),
                                show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, [c.chunk_id for c in chunks])

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.retriever.save(str(tmp), show_progress=False)
        (tmp / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
        shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)

    @classmethod
    def load(cls, path: Path) -> "BM25Index | None":
        import bm25s
        if not (path / "chunk_ids.json").exists():
            return None
        retriever = bm25s.BM25.load(str(path), show_progress=False)
        return cls(retriever, json.loads((path / "chunk_ids.json").read_text()))

    def scores(self, query: str) -> np.ndarray:
        import bm25s
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_thread_stemmer(), return_ids=False,
                                show_progress=False)[0]
        vocab = self.retriever.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return self.retriever.get_scores(tokens)
