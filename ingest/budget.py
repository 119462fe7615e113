"""What one document may cost to read: its size once expanded (a DOCX is a zip of XML; a small file
can hold a gigabyte) and its time (loading, cleaning, chunking). Past either, the document is refused
with a reason and the writer is free again within the budget: the readers check the deadline as they
go, between pages, paragraphs and page elements. The limits are settings (`max_expanded_mb`,
`max_read_seconds`); `Budget.unlimited()` is for reading a file outside an ingest."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from .errors import IngestError


@dataclass(frozen=True)
class Budget:
    expanded_mb: float
    seconds: float

    @classmethod
    def unlimited(cls) -> "Budget":
        return cls(math.inf, math.inf)

    def start(self, path: str) -> "Deadline":
        return Deadline(path, self)


class Deadline:
    """The time left to read one document; `check` refuses it once that is spent."""

    def __init__(self, path: str, budget: Budget):
        self.path, self.budget = path, budget
        self.end = time.monotonic() + budget.seconds

    def check(self, doing: str) -> None:
        if time.monotonic() > self.end:
            raise IngestError(self.path, f"{doing} took longer than the {self.budget.seconds:g} s a document may "
                              "take (HMIQA_MAX_READ_SECONDS); split the file, or raise the limit")

    def expanded(self, size_bytes: int, what: str) -> None:
        if size_bytes > self.budget.expanded_mb * 1e6:
            raise IngestError(self.path, f"{what} expands to {size_bytes / 1e6:,.0f} MB, over the "
                              f"{self.budget.expanded_mb:g} MB a document may expand to (HMIQA_MAX_EXPANDED_MB); "
                              "it may be damaged or built to exhaust memory: re-save it, or raise the limit")
