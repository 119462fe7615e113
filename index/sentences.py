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


def sentences_of(chunks: list[Chunk]) -> tuple[list[list[tuple[int, int]]], list[str]]:
    """Each chunk's quotable spans, and all their texts in one list (what gets embedded)."""
    spans = [quotable_spans(c.text) for c in chunks]
    return spans, [c.text[s:e] for c, sp in zip(chunks, spans, strict=True) for s, e in sp]


def assemble(chunks: list[Chunk], spans: list[list[tuple[int, int]]], vectors: np.ndarray) -> list[SentenceVectors]:
    """Each chunk's SentenceVectors from `sentences_of(chunks)` and the vectors of its texts."""
    out, i = [], 0
    for c, sp in zip(chunks, spans, strict=True):
        out.append(SentenceVectors(c.chunk_id, np.asarray(sp, dtype=np.int32).reshape(-1, 2),
                                   np.asarray(vectors[i:i + len(sp)], dtype=np.float16)))
        i += len(sp)
    return out


def embed_sentences(chunks: list[Chunk], embed) -> list[SentenceVectors]:
    """Sentence vectors alone (for chunks indexed before they were stored)."""
    spans, texts = sentences_of(chunks)
    return assemble(chunks, spans, embed(texts) if texts else np.zeros((0, 0), dtype=np.float32))
