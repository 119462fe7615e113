"""Each chunk's quotable sentences and their vectors, computed at ingest so an answer embeds only
the question (embedding ~100 candidate sentences per answer was nine tenths of its time).

Stored as float16 (half the disk and page cache of float32; cosines move by under 1e-3, measured
no change on the seed and realdev answers, docs/BENCHMARKS.md) beside the chunk rows: in the
catalog's SQLite in the embedded store, in a collection of their own in a Chroma server.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from ingest.chunk import quotable_spans
from ingest.records import Chunk


@dataclass
class SentenceVectors:
    """One chunk's quotable spans (offsets in the chunk's text) and one unit vector per span."""
    chunk_id: str
    spans: np.ndarray  # int32, shape (n, 2)
    vectors: np.ndarray  # float16, shape (n, dimension)

    def blobs(self) -> tuple[bytes, bytes]:
        return (np.ascontiguousarray(self.spans, dtype=np.int32).tobytes(),
                np.ascontiguousarray(self.vectors, dtype=np.float16).tobytes())

    @classmethod
    def from_blobs(cls, chunk_id: str, spans: bytes, vectors: bytes) -> "SentenceVectors":
        s = np.frombuffer(spans, dtype=np.int32).reshape(-1, 2)
        v = np.frombuffer(vectors, dtype=np.float16)
        return cls(chunk_id, s, v.reshape(len(s), -1) if len(s) else v.reshape(0, 0))

    def to_text(self) -> str:
        """One string (for a store that keeps text, not bytes): base64 of spans then vectors."""
        s, v = self.blobs()
        return f"{len(s)}:" + base64.b64encode(s + v).decode()

    @classmethod
    def from_text(cls, chunk_id: str, text: str) -> "SentenceVectors":
        n, _, data = text.partition(":")
        raw = base64.b64decode(data)
        return cls.from_blobs(chunk_id, raw[:int(n)], raw[int(n):])

    def lookup(self) -> dict[tuple[int, int], np.ndarray]:
        """(start, end) in the chunk's text -> float32 vector."""
        return {(int(s), int(e)): self.vectors[i].astype(np.float32) for i, (s, e) in enumerate(self.spans)}


def batch_texts(chunks: list[Chunk]) -> list[str]:
    """What ingest embeds for `chunks` in one call: each chunk's indexed text, then every quotable
    sentence (one call lets the encoder batch short and long texts by length)."""
    return [c.indexed_text for c in chunks] + [c.text[s:e] for c in chunks for s, e in quotable_spans(c.text)]


def split_batch(chunks: list[Chunk], vectors: np.ndarray) -> tuple[np.ndarray, list[SentenceVectors]]:
    """The chunk vectors and each chunk's SentenceVectors from the vectors of `batch_texts(chunks)`."""
    return vectors[:len(chunks)], _assemble(chunks, vectors[len(chunks):])


def embed_sentences(chunks: list[Chunk], embed) -> list[SentenceVectors]:
    """Sentence vectors alone (for chunks indexed before they were stored)."""
    texts = [c.text[s:e] for c in chunks for s, e in quotable_spans(c.text)]
    return _assemble(chunks, embed(texts) if texts else np.zeros((0, 0), dtype=np.float32))


def _assemble(chunks: list[Chunk], vectors: np.ndarray) -> list[SentenceVectors]:
    out, i = [], 0
    for c in chunks:
        spans = quotable_spans(c.text)
        out.append(SentenceVectors(c.chunk_id, np.asarray(spans, dtype=np.int32).reshape(-1, 2),
                                   np.asarray(vectors[i:i + len(spans)], dtype=np.float16)))
        i += len(spans)
    return out
