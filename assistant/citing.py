"""Numbering spans of reports as citations: each span once, in the order it is first cited."""
from __future__ import annotations

from typing import Callable

from ingest.records import Chunk, Document

from .records import Citation


class SpanCiter:
    """`cite(doc_id, start, end)` returns the span's citation number, adding a Citation the first time.

    `existing` citations keep their numbers and new ones follow them. With `clip`, a span is cut to the
    passage holding most of it, so the quote is a substring of its passage as in any answer."""

    def __init__(self, doc_of: Callable[[str], Document], chunk_at: Callable[[str, int, int], Chunk | None],
                 existing: list[Citation] = (), clip: bool = False):
        self.doc_of, self.chunk_at, self.clip = doc_of, chunk_at, clip
        self.existing = list(existing)
        self.numbers = {(c.doc_id, c.start, c.end): c.n for c in self.existing}
        self.citations: list[Citation] = []  # the new ones

    def __call__(self, doc_id: str, start: int, end: int) -> int:
        chunk = self.chunk_at(doc_id, start, end)
        if self.clip and chunk is not None:
            start, end = max(start, chunk.start), min(end, chunk.end)
        key = (doc_id, start, end)
        if key not in self.numbers:
            doc = self.doc_of(doc_id)
            n = len(self.existing) + len(self.citations) + 1
            self.numbers[key] = n
            self.citations.append(Citation(
                n=n, chunk_id=chunk.chunk_id if chunk else "", doc_id=doc_id, title=doc.title,
                force=", ".join(doc.forces), year=doc.year, section=doc.section_at(start), page=doc.page_at(start),
                quote=doc.text[start:end], start=start, end=end))
        return self.numbers[key]

    def quote(self, n: int) -> str:
        return next(c.quote for c in self.existing + self.citations if c.n == n)
