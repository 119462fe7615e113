"""Citations: the one place a Citation is made (`citation`, and `of_passage` for a retrieved passage),
and numbering spans of reports as citations, each span once, in the order it is first cited."""
from __future__ import annotations

from typing import Callable

from index.records import Passage
from ingest.records import Chunk, Document

from .records import Citation


def citation(n: int, doc_id: str, chunk_id: str, title: str, forces: list[str], year: int | None, section: str,
             page: int | None, text: str, text_start: int, start: int, end: int) -> Citation:
    """A citation of the document span `start:end`, quoted from `text`, the document's text from offset
    `text_start` (a passage, or the whole document at 0): the quote is the document's text at
    start:end by construction, for extractive, LLM and findings-tracker answers alike."""
    lo, hi = start - text_start, end - text_start
    if not 0 <= lo < hi <= len(text):
        raise ValueError(f"citation span {start}:{end} lies outside its text ({text_start}:{text_start + len(text)})")
    return Citation(n=n, chunk_id=chunk_id, doc_id=doc_id, title=title, force=", ".join(forces), year=year,
                    section=section, page=page, quote=text[lo:hi], start=start, end=end)


def of_passage(n: int, p: Passage, start: int, end: int, page_of: Callable[[str, int], int | None]) -> Citation:
    """A citation of `start:end` (document offsets) inside the retrieved passage `p`."""
    return citation(n, p.doc_id, p.chunk_id, p.title, p.forces, p.year, p.section, page_of(p.doc_id, start),
                    p.text, p.start, start, end)


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
            self.citations.append(citation(n, doc_id, chunk.chunk_id if chunk else "", doc.title, doc.forces, doc.year,
                                           doc.section_at(start), doc.page_at(start), doc.text, 0, start, end))
        return self.numbers[key]

    def quote(self, n: int) -> str:
        return next(c.quote for c in self.existing + self.citations if c.n == n)
