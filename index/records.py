"""Records returned by search (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.records import Chunk


@dataclass
class Filters:
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    programmes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.forces or self.year_from or self.year_to or self.programmes or self.kinds
                    or self.doc_ids)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Passage(Chunk):
    """A chunk as a search returned it: its fused score, rank and each retriever's score and rank."""
    score: float = 0.0
    rank: int = 0
    scores: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, chunk: Chunk, score: float, rank: int, scores: dict[str, float]) -> "Passage":
        return cls(**vars(chunk), score=float(score), rank=rank, scores=scores)
