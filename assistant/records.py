"""The Answer record (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    force: str
    year: int | None
    section: str
    page: int | None
    quote: str
    start: int  # the quote's span in the document's cleaned text
    end: int


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]


@dataclass
class Answer:
    question: str
    answer: str
    sentences: list[AnswerSentence] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    refused: bool = False
    evidence_score: float = 0.0  # assistant/policy.evidence: the answer model's probability that the best
    # sentence answers; below `refuse_below` the answer is refused
    mode: str = "extractive"
    notices: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # on a refusal, the sentences that came closest, cited like any quote but not an answer: a wrong
    # refusal then still shows the reader the evidence (on realdev most refused answerable questions had it)
    closest: list[Citation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)
