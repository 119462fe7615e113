"""One writer per index directory, across processes.

An exclusive `flock` on `writer.lock` beside the catalog, held for a whole ingest, upload or removal:
a second `hmiqa ingest`, an API upload or the app's upload on the same index waits for it. Readers
never take it. Because a writer holds it, whatever `repair()` finds half-written was left by a writer
that is gone (the lock dies with its process), never another process's live ingest.

`opening()` serialises the first moments of opening an index (creating the catalog's tables and
Chroma's store), so two processes opening a new index at once create it once.
"""
from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable


class WriterLock:
    def __init__(self, folder: Path):
        self.path = Path(folder) / "writer.lock"
        self._threads = threading.RLock()  # writers in this process, one at a time
        self._fd: int | None = None
        self._depth = 0

    @contextmanager
    def hold(self, waiting: Callable[[], None] | None = None):
        """Hold the lock (re-entrant); `waiting()` is called once if another process has it."""
        with self._threads:
            if self._depth == 0:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if waiting:
                        waiting()
                    fcntl.flock(fd, fcntl.LOCK_EX)
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())  # who writes, for a person looking
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None

    def holder(self) -> int | None:
        """The process id of the writer holding the lock now, or None."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.read(fd, 32).decode(errors="replace").strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


@contextmanager
def opening(folder: Path):
    """Exclusive while an index's stores are created or checked on open."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(folder) / "open.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
