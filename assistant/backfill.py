"""The quotable sentences' vectors, stored on a thread of their own after a write has returned.

They make answers fast (an answer then embeds only the question) but change none: an answer embeds
whatever sentences lack them. So the person adding a report need not wait for them. The Assistant's
writes return once the documents are searchable (ingest/pipeline.py, `sentences=False`) and ask this
thread to store what is missing. It holds the index's writer lock one group of chunks at a time
(Index.SENTENCE_GROUP, about 3 s on two cores) and gives way to any write of this process that is
waiting, so an upload waits at most one group for it. Another process's writer is served by the lock
itself. Stopped by `Assistant.close()` after its group; what is left is stored after the next write.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from contextlib import contextmanager

log = logging.getLogger("hmiqa")

_live: "weakref.WeakSet[SentenceBackfill]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """At exit the group being stored finishes: a daemon thread cut off inside the encoder aborts the
    process ("terminate called without an active exception")."""
    for backfill in list(_live):
        backfill.stop(timeout=30)


class SentenceBackfill:
    def __init__(self, index):
        _live.add(self)
        self._index = index
        self._cond = threading.Condition()
        self._wanted = False  # asked for since the thread last looked for what is missing
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._writers = 0  # writes of this process waiting or running: they go first

    def request(self) -> None:
        """Store the sentence vectors the index lacks, on the backfill's thread (started if idle)."""
        with self._cond:
            if self._stopping:
                return
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hmiqa-sentences", daemon=True)
                self._thread.start()

    @contextmanager
    def giving_way(self):
        """Around a write of this process: the backfill pauses after its current group until it ends."""
        with self._cond:
            self._writers += 1
        try:
            yield
        finally:
            with self._cond:
                self._writers -= 1
                self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Until nothing asked for is left to store: True, or False if `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._thread is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self, timeout: float = 60) -> None:
        """No more groups: the running one finishes (within `timeout`, or the thread is left to die
        with the process; an unfinished group is stored again later, never half-seen)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _turn(self) -> bool:
        """Wait for this process's writers to finish; False if the backfill is stopping."""
        with self._cond:
            while self._writers and not self._stopping:
                self._cond.wait()
            return not self._stopping

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._wanted or self._stopping:
                    self._thread = None  # decided under the lock: a request from now on starts a new thread
                    self._cond.notify_all()
                    return
                self._wanted = False
            try:
                self._store()
            except Exception as e:  # noqa: BLE001 - a thread has no caller to raise to: logged, and retried later
                log.warning("hmiqa: sentence vectors were not stored (%s: %s). Answers are the same without "
                            "them, only slower; the next ingest or upload stores them", type(e).__name__, e)

    def _store(self) -> None:
        index = self._index
        if not self._turn():
            return
        with index.writer.hold():
            todo = index.without_sentences()
        while todo and self._turn():
            with index.writer.hold():
                todo = index.add_sentences(todo, budget=index.SENTENCE_GROUP)
