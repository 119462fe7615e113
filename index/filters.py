"""Filters and preferences: one place that decides what a force, year, programme or kind
restriction means, for a chunk, for Chroma's `where`, for the BM25 score vector, and in words.

A **filter** is hard: the user set it (sidebar, a chip kept, a CLI or API argument). A chunk whose
field is unknown (no year) does not pass a year filter; `left_out` counts those documents so the
answer can say so. A **preference** is soft: it was inferred from the question. It never removes a
chunk; it raises the ones that match it, leaves the ones whose field is unknown where they are, and
pulls matching chunks in from beyond the unfiltered pool.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from ingest.records import Chunk, Document

from .corpus import doc_of

UNKNOWN_YEAR = -1  # how Chroma and the columns store "no year"


@dataclass
class Filters:
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    programmes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    keep_unknown: bool = False  # a preference's pull-in search keeps chunks whose year is unknown

    def is_empty(self) -> bool:
        return not (self.forces or self.year_from or self.year_to or self.programmes or self.kinds
                    or self.doc_ids)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("keep_unknown")
        return d

    @property
    def has_years(self) -> bool:
        return self.year_from is not None or self.year_to is not None

    def year_ok(self, year: int | None) -> bool:
        if not self.has_years:
            return True
        if year is None or year == UNKNOWN_YEAR:
            return self.keep_unknown
        return (self.year_from is None or year >= self.year_from) and (self.year_to is None or year <= self.year_to)

    def matches(self, chunk: Chunk) -> bool:
        return ((not self.forces or bool(set(self.forces) & set(chunk.forces)))
                and self.year_ok(chunk.year)
                and (not self.programmes or chunk.programme in self.programmes)
                and (not self.kinds or chunk.kind in self.kinds)
                and (not self.doc_ids or chunk.doc_id in self.doc_ids))

    def where(self) -> dict | None:
        """Chroma's `where` for the same rule (forces are stored as boolean keys `force_<name>`)."""
        parts: list[dict] = []
        if self.forces:
            ors = [{force_key(f): True} for f in self.forces]
            parts.append(ors[0] if len(ors) == 1 else {"$or": ors})
        if self.has_years:
            span = [{"year": {"$gte": int(self.year_from if self.year_from is not None else 0)}}]
            if self.year_to is not None:
                span.append({"year": {"$lte": int(self.year_to)}})
            known = span[0] if len(span) == 1 else {"$and": span}
            parts.append({"$or": [known, {"year": UNKNOWN_YEAR}]} if self.keep_unknown else known)
        if self.programmes:
            parts.append({"programme": {"$in": list(self.programmes)}})
        if self.kinds:
            parts.append({"kind": {"$in": list(self.kinds)}})
        if self.doc_ids:
            parts.append({"doc_id": {"$in": list(self.doc_ids)}})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def mask(self, cols: "Columns") -> np.ndarray:
        """Which of the columns' chunks pass, as one boolean vector (no loop over chunks)."""
        ok = np.ones(len(cols.year), dtype=bool)
        if self.forces:
            ok &= np.logical_or.reduce([cols.force(f) for f in self.forces])
        if self.has_years:
            known = cols.year != UNKNOWN_YEAR
            inside = known.copy()
            if self.year_from is not None:
                inside &= cols.year >= self.year_from
            if self.year_to is not None:
                inside &= cols.year <= self.year_to
            ok &= inside | (~known if self.keep_unknown else False)
        if self.programmes:
            ok &= np.isin(cols.programme, list(self.programmes))
        if self.kinds:
            ok &= np.isin(cols.kind, list(self.kinds))
        if self.doc_ids:
            ok &= np.isin(cols.doc_id, list(self.doc_ids))
        return ok

    def left_out(self, cols: "Columns | None") -> int:
        """Documents a year filter leaves out only because their year is unknown."""
        if not self.has_years or self.keep_unknown or cols is None:
            return 0
        return len(set(cols.doc_id[cols.year == UNKNOWN_YEAR]))

    def describe(self, sources: dict[str, str] | None = None) -> list[str]:
        """Each restriction in words, with where it came from when `sources` says."""
        sources = sources or {}
        out = []
        if self.forces:
            out.append(_with(f"force {', '.join(self.forces)}", sources.get("forces")))
        if self.has_years:
            a, b = self.year_from, self.year_to
            span = (f"{a}–{b}" if a and b and a != b else f"{a}" if a == b else f"{a} onward" if a else f"up to {b}")
            out.append(_with(f"years {span}", sources.get("years")))
        if self.programmes:
            out.append(_with(f"programme {', '.join(self.programmes)}", sources.get("programmes")))
        if self.kinds:
            out.append(_with(f"kind {', '.join(self.kinds)}", sources.get("kinds")))
        return out


def _with(text: str, source: str | None) -> str:
    return f"{text} ({source})" if source else text


def force_key(force: str) -> str:
    """The boolean metadata key a chunk about `force` carries in Chroma (lists are not filterable)."""
    return "force_" + re.sub(r"[^a-z0-9]+", "_", force.lower()).strip("_")


@dataclass
class Preferences:
    """Filters inferred from a question: they rank, they do not remove."""
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    programmes: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.forces or self.year_from is not None or self.year_to is not None or self.programmes)

    def as_filters(self) -> Filters:
        """The same restrictions as a Filters, to describe them or search with them."""
        return Filters(forces=list(self.forces), year_from=self.year_from, year_to=self.year_to,
                       programmes=list(self.programmes))

    def pull_in(self, hard: Filters | None) -> Filters:
        """The hard filters narrowed to what is preferred, keeping unknown years: a second search that
        finds matching chunks the unfiltered pool is too short to reach in a large corpus."""
        base = hard or Filters()
        return Filters(forces=base.forces or self.forces,
                       year_from=base.year_from if base.has_years else self.year_from,
                       year_to=base.year_to if base.has_years else self.year_to,
                       programmes=base.programmes or self.programmes, kinds=list(base.kinds),
                       doc_ids=list(base.doc_ids), keep_unknown=not base.has_years)

    def agreement(self, cols: "Columns", rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per chunk (at `rows` of the columns): the mean over preferences of 1 (meets it), 0.5 (its
        field is unknown, or a publication about no force) or 0 (contradicts it); the least of them
        (0.5 or more: consistent with every preference); and whether it is consistent with the force."""
        parts = []
        force_ok = np.ones(len(rows), dtype=bool)
        if self.forces:
            hit = np.logical_or.reduce([cols.force(f)[rows] for f in self.forces])
            none = cols.n_forces[rows] == 0
            parts.append(np.where(hit, 1.0, np.where(none, 0.5, 0.0)))
            force_ok = hit | none
        if self.year_from is not None or self.year_to is not None:
            y = cols.year[rows]
            inside = np.ones(len(rows), dtype=bool)
            if self.year_from is not None:
                inside &= y >= self.year_from
            if self.year_to is not None:
                inside &= y <= self.year_to
            parts.append(np.where(y == UNKNOWN_YEAR, 0.5, inside.astype(float)))
        if self.programmes:
            parts.append(np.isin(cols.programme[rows], list(self.programmes)).astype(float))
        if not parts:
            return np.zeros(len(rows)), np.zeros(len(rows)), force_ok
        return np.mean(parts, axis=0), np.min(parts, axis=0), force_ok


@dataclass
class Columns:
    """Chunk fields as arrays in one fixed order (the BM25 index's), for masks without loops."""
    chunk_ids: list[str]
    year: np.ndarray
    programme: np.ndarray
    kind: np.ndarray
    doc_id: np.ndarray
    n_forces: np.ndarray
    forces: dict[str, np.ndarray]

    @classmethod
    def build(cls, chunk_ids: list[str], headers: dict[str, Document],
              positions: dict[str, int] | None = None) -> "Columns":
        """From the documents' records (a chunk carries its document's forces, year, programme and
        kind): one row per document, spread to its chunks with one gather, no chunk record read."""
        docs = list(headers.values())
        row_of = {d.doc_id: i for i, d in enumerate(docs)}
        blank = len(docs)  # a chunk whose document another process took out meanwhile: every field unknown
        rows = np.fromiter((row_of.get(doc_of(c), blank) for c in chunk_ids), dtype=np.int64,
                           count=len(chunk_ids))
        year = np.array([d.year if d.year is not None else UNKNOWN_YEAR for d in docs] + [UNKNOWN_YEAR], dtype=np.int32)
        programme = np.array([d.programme or "" for d in docs] + [""], dtype=object)
        kind = np.array([d.kind or "" for d in docs] + [""], dtype=object)
        doc_id = np.array([d.doc_id for d in docs] + [""], dtype=object)
        n_forces = np.array([len(d.forces) for d in docs] + [0], dtype=np.int16)
        forces: dict[str, np.ndarray] = {}
        for i, d in enumerate(docs):
            for f in d.forces:
                forces.setdefault(f, np.zeros(len(docs) + 1, dtype=bool))[i] = True
        columns = cls(chunk_ids=chunk_ids, year=year[rows], programme=programme[rows], kind=kind[rows],
                      doc_id=doc_id[rows], n_forces=n_forces[rows], forces={f: m[rows] for f, m in forces.items()})
        if positions is not None:
            columns._index = positions
        return columns

    def force(self, name: str) -> np.ndarray:
        return self.forces.get(name, np.zeros(len(self.year), dtype=bool))

    def rows(self, ids: list[str]) -> np.ndarray:
        pos = self.positions()
        return np.array([pos[c] for c in ids], dtype=np.int64)

    def positions(self) -> dict[str, int]:
        """chunk_id -> its row (shared with the chunk map when the two orders are one list)."""
        if not hasattr(self, "_index"):
            self._index = {c: i for i, c in enumerate(self.chunk_ids)}
        return self._index
