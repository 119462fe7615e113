"""Records returned by search (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Filters:
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    report_types: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.forces or self.year_from or self.year_to or self.report_types or self.doc_ids)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Passage:
    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str
    page_start: int | None
    page_end: int | None
    forces: list[str]
    year: int | None
    report_type: str | None
    title: str
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)  # per retriever: rank-based or raw

    def to_dict(self) -> dict:
        return asdict(self)
