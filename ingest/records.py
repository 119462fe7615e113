"""Records that leave the ingest package (see DESIGN.md "Records")."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# the years a report, a filter or a brief's `since` may name
YEARS = (1900, 2100)


@dataclass
class Section:
    title: str
    level: int
    start: int
    end: int
    path: str


@dataclass
class Field:
    """How a metadata field was found and how sure we are (high, medium, low, manifest)."""
    value: Any
    method: str
    confidence: str


@dataclass
class Document:
    doc_id: str
    source: str
    title: str
    forces: list[str]
    year: int | None
    published: str | None
    inspection_year: int | None
    period: str | None
    programme: str | None  # ingest/programmes.PROGRAMMES
    kind: str | None  # ingest/programmes.PUBLICATION_KINDS
    inspectorate: str | None
    sections: list[Section]
    pages: list[int]
    metadata_confidence: dict[str, dict]
    text: str
    url: str | None = None  # where the original lives (from a manifest), for a "view original" link
    file_hash: str = ""
    n_chunks: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self, with_text: bool = True) -> dict:
        d = asdict(self)
        if not with_text:
            d.pop("text")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Document":
        from .manifest import sanitize  # the sidecar's rows; imported here, as they import this module

        d = dict(d)
        d["sections"] = [Section(**s) for s in d.get("sections", [])]
        if "report_type" in d:  # stored before programme and kind (pipeline version 1)
            d.update(legacy_type(d.pop("report_type")))
        # a value stored before sidecars were checked ("year": "abc") reads as unknown, so one document
        # cannot break every search; `hmiqa ingest` stores the repair (Index.repair_metadata)
        changed = sanitize(d)
        doc = cls(**d)
        doc.sanitized = changed
        return doc

    def head_text(self, chars: int = 1000) -> str:
        """What the document vector embeds: its title and opening text (the model reads 256 tokens)."""
        return f"{self.title}\n{self.text[:chars]}"

    def section_at(self, offset: int) -> str:
        """Heading path of the innermost section holding char `offset` ("" before the first heading)."""
        best = None
        for s in self.sections:
            if s.start <= offset < max(s.end, s.start + 1) and (best is None or s.start >= best.start):
                best = s
        return best.path if best else ""

    @property
    def is_response(self) -> bool:
        """A force's or PCC's response to recommendations, not an inspection report."""
        return self.kind == "response"

    def page_at(self, offset: int) -> int | None:
        """1-based page holding char `offset`, or None when the source has no pages."""
        if not self.pages:
            return None
        page = 1
        for i, start in enumerate(self.pages):
            if start <= offset:
                page = i + 1
            else:
                break
        return page


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    text: str
    start: int
    end: int
    section: str
    page_start: int | None
    page_end: int | None
    forces: list[str]
    year: int | None
    programme: str | None
    kind: str | None
    title: str
    context: str  # the line prefixed to `text` for embedding and BM25

    @property
    def indexed_text(self) -> str:
        return f"{self.context}\n{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        from .manifest import sanitize

        d = dict(d)
        if "report_type" in d:  # stored before programme and kind (pipeline version 1)
            d.update(legacy_type(d.pop("report_type")))
        sanitize(d)  # as its document's record
        return cls(**d)


# report_type values of indexes built before programme and kind were separate (pipeline version 1)
_LEGACY_TYPES = {
    "force response to recommendations": {"programme": "police relationships", "kind": "response"},
    "revisiting police relationships": {"programme": "police relationships", "kind": "revisit or progress"},
    "PEEL": {"programme": "PEEL integrated", "kind": "force inspection"},
}


def legacy_type(report_type: str | None) -> dict:
    if report_type in _LEGACY_TYPES:
        return dict(_LEGACY_TYPES[report_type])
    return {"programme": report_type, "kind": "force inspection" if report_type else None}
