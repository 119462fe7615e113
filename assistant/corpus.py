"""What answering, citing and the findings tracker read of the indexed corpus: a document's header
and text, the page and period of a span, a chunk by id or by span. A small contract (`Corpus`), so
that no module below the surfaces is handed the `Assistant`; `IndexCorpus` reads it from an Index."""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ingest.records import Chunk, Document

if TYPE_CHECKING:
    from index.store import Index


class Corpus(Protocol):
    def header(self, doc_id: str) -> Document:
        """The document's record without its text (for labels, pages and periods)."""

    def document(self, doc_id: str) -> Document:
        """The whole document, text included (for citing a span of it)."""

    def page(self, doc_id: str, offset: int) -> int | None: ...

    def period(self, doc_id: str) -> str | None: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def chunk_at(self, doc_id: str, start: int, end: int) -> Chunk | None:
        """The chunk holding most of doc_id[start:end], so a citation opens at its passage."""


class DocumentMissing(LookupError):
    """A document id the index does not hold."""


class IndexCorpus:
    """`Corpus` over an Index, keeping the headers it has read until `forget()` (after every write)."""

    def __init__(self, index: Index):
        self.index = index
        self._headers: dict[str, Document] = {}

    def forget(self, doc_id: str | None = None) -> None:
        if doc_id is None:
            self._headers.clear()
        else:
            self._headers.pop(doc_id, None)

    def document(self, doc_id: str) -> Document:
        doc = self.index.catalog.document(doc_id)
        if doc is None:
            raise DocumentMissing(doc_id)
        return doc

    def header(self, doc_id: str) -> Document:
        doc = self._headers.get(doc_id) or self.index.header(doc_id) or self.document(doc_id)
        self._headers[doc_id] = doc
        return doc

    def page(self, doc_id: str, offset: int) -> int | None:
        return self.header(doc_id).page_at(offset)

    def period(self, doc_id: str) -> str | None:
        return self.header(doc_id).period

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.index.chunk_map().get(chunk_id)

    def chunk_at(self, doc_id: str, start: int, end: int) -> Chunk | None:
        best, overlap = None, 0
        for c in self.index.chunk_map().of_document(doc_id):
            o = min(end, c.end) - max(start, c.start)
            if o > overlap:
                best, overlap = c, o
        return best

    def headings(self, doc_ids: set[str]) -> dict[str, set[str]]:
        """Each document's title and section headings, lower-cased: never quoted as findings."""
        out = {}
        for doc_id in doc_ids:
            doc = self.header(doc_id)
            out[doc_id] = {" ".join(t.split()).lower() for t in [doc.title] + [s.title for s in doc.sections]}
        return out
