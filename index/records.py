"""Records returned by search (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Chunk

from .filters import Filters, Preferences  # noqa: F401  (records that cross the index border)


@dataclass
class Passage(Chunk):
    """A chunk as a search returned it: its fused score, rank and each retriever's score and rank; and,
    when the search had preferences (what a question implies), whether the passage meets them: its
    document meets each or its field is unknown (`meets_preferences`), and it is about the force
    preferred or about no single force (`meets_force`). None: the search had no preferences."""
    score: float = 0.0
    rank: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    meets_preferences: bool | None = None
    meets_force: bool | None = None

    @classmethod
    def of(cls, chunk: Chunk, score: float, rank: int, scores: dict[str, float],
           meets_preferences: bool | None = None, meets_force: bool | None = None) -> "Passage":
        return cls(**vars(chunk), score=float(score), rank=rank, scores=scores,
                   meets_preferences=meets_preferences, meets_force=meets_force)
