"""Many readers or one writer, inside one process.

Readers (searches, answers, briefs) run side by side; the short moments a writer changes what
readers see (a document switched to ready or removed, BM25 and the chunk map swapped, another
process's change picked up) wait for the readers in flight and hold new ones back. The long part
of a write (reading, cleaning, embedding a report) runs outside it, serialised among writers only.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager


class ReadWriteLock:
    """Writer-preferring, re-entrant per thread: a reader may read again, a writer may read or write
    again; a reader may not start writing (it would wait for itself)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None
        self._waiting = 0
        self._local = threading.local()

    def _depth(self) -> tuple[int, int]:
        return getattr(self._local, "reads", 0), getattr(self._local, "writes", 0)

    def holding(self) -> bool:
        return any(self._depth())

    @contextmanager
    def read(self):
        reads, writes = self._depth()
        if reads or writes:
            self._local.reads = reads + 1
            try:
                yield
            finally:
                self._local.reads -= 1
            return
        with self._cond:
            while self._writer is not None or self._waiting:
                self._cond.wait()
            self._readers += 1
        self._local.reads = 1
        try:
            yield
        finally:
            self._local.reads = 0
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self):
        reads, writes = self._depth()
        if writes:
            self._local.writes = writes + 1
            try:
                yield
            finally:
                self._local.writes -= 1
            return
        if reads:
            raise RuntimeError("a reader cannot start writing: take the write lock first")
        with self._cond:
            self._waiting += 1
            try:
                while self._writer is not None or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = threading.get_ident()
        self._local.writes = 1
        try:
            yield
        finally:
            self._local.writes = 0
            with self._cond:
                self._writer = None
                self._cond.notify_all()
