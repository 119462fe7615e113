"""Records returned by search (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Chunk

from .filters import Filters, Preferences  # noqa: F401  (records that cross the index border)


@dataclass
class Passage(Chunk):
    """A chunk as a search returned it: its fused score, rank and each retriever's score and rank."""
    score: float = 0.0
    rank: int = 0
    scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, chunk: Chunk, score: float, rank: int, scores: dict[str, float]) -> "Passage":
        return cls(**vars(chunk), score=float(score), rank=rank, scores=scores)
