"""The corpus a reader sees: every chunk id in memory, a chunk's record read from the catalog only
when a search returns it.

Holding every chunk's record as Python objects cost about 15 MB per 1,000 chunks (docs/BENCHMARKS.md,
"Scale"): a library of a million chunks cannot afford it, and the first answer paid for parsing them
all. Searches rank chunk ids; only the passages shown are read.
"""
from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator, Mapping

from ingest.records import Chunk

PAGE = 2000  # chunk records per catalog read when a caller walks the whole corpus


class ChunkMap(Mapping):
    """chunk_id -> Chunk over a fixed, sorted list of ids (one corpus generation).

    `kept` holds the records of documents a writer took out or replaced while this corpus is still
    being read: the catalog no longer has them (or has their new version), readers still cite them
    until the writer swaps the new corpus in.
    """

    def __init__(self, ids: list[str], read: Callable[[list[str]], dict[str, Chunk]]):
        self.ids = ids
        self._read = read
        self.kept: dict[str, Chunk] = {}
        self._positions: dict[str, int] | None = None
        self._lock = threading.Lock()

    def positions(self) -> dict[str, int]:
        """chunk_id -> its row in `ids` (BM25's and the filter columns' order)."""
        if self._positions is None:
            with self._lock:
                if self._positions is None:
                    self._positions = {c: i for i, c in enumerate(self.ids)}
        return self._positions

    def __contains__(self, chunk_id) -> bool:
        return chunk_id in self.positions()

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __getitem__(self, chunk_id: str) -> Chunk:
        got = self.get_many([chunk_id])
        if chunk_id not in got:
            raise KeyError(chunk_id)
        return got[chunk_id]

    def get_many(self, chunk_ids: list[str]) -> dict[str, Chunk]:
        """The records of those ids that belong to this corpus. A chunk another process deleted since
        this corpus was read is missing from the answer (the next refresh drops its id too)."""
        wanted = [c for c in dict.fromkeys(chunk_ids) if c in self]
        out = {c: self.kept[c] for c in wanted if c in self.kept}
        rest = [c for c in wanted if c not in out]
        if rest:
            out.update(self._read(rest))
        return out

    def values(self) -> Iterator[Chunk]:  # type: ignore[override]
        """Every record, a page at a time (a whole-corpus walk: tests, legacy indexes, evaluation)."""
        for i in range(0, len(self.ids), PAGE):
            page = self.ids[i:i + PAGE]
            got = self.get_many(page)
            yield from (got[c] for c in page if c in got)

    def items(self) -> Iterator[tuple[str, Chunk]]:  # type: ignore[override]
        return ((c.chunk_id, c) for c in self.values())

    def count_of(self, doc_id: str) -> int:
        """How many chunks a document has, without reading them."""
        return bisect.bisect_left(self.ids, doc_id + ";") - bisect.bisect_left(self.ids, doc_id + ":")

    def of_document(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in order (ids are sorted, so they are one run of the list)."""
        lo = bisect.bisect_left(self.ids, doc_id + ":")
        hi = bisect.bisect_left(self.ids, doc_id + ";")  # ';' follows ':'
        got = self.get_many(self.ids[lo:hi])
        return [got[c] for c in self.ids[lo:hi] if c in got]


def doc_of(chunk_id: str) -> str:
    return chunk_id.rpartition(":")[0]
