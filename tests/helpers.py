"""Helpers the test tiers share: a free loopback port, waiting on a condition (a server coming up,
a port closing) instead of sleeping a fixed time, and a real `chroma run`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(ready: Callable[[], bool], what: str, timeout: float, proc: subprocess.Popen | None = None,
             log: Callable[[], str] = lambda: "", every: float = 0.3) -> None:
    """Poll `ready()` (a connection error inside it counts as not yet) until it is true; fail with `log()` if
    `proc` exits first, or when `timeout` seconds pass."""
    deadline = time.time() + timeout
    while True:
        try:
            if ready():
                return
        except (OSError, httpx.HTTPError):
            pass
        assert proc is None or proc.poll() is None, f"{what}: the process exited\n{log()[-3000:]}"
        if time.time() >= deadline:
            if proc is not None:  # stopped first, so a log read from its pipe ends
                proc.kill()
                proc.wait()
            raise AssertionError(f"{what} did not happen in {timeout:.0f} s\n{log()[-3000:]}")
        time.sleep(every)


def check_citations(assistant, answer) -> None:
    """The citation rules every cited answer keeps (extractive and findings tracker; LLM answers may
    also mark a sentence unsupported): each quote is an exact substring of its passage and the
    document's text at start:end; citations are numbered 1..n and each number appears in the answer;
    every answer sentence is in the answer text and cites only citations that exist."""
    chunks = assistant.passages()
    assert answer.citations, "a cited answer with no citations"
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    for c in answer.citations:
        assert c.quote in chunks[c.chunk_id].text
        assert assistant.document(c.doc_id).text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.answer
    for s in answer.sentences:
        assert s.citations and set(s.citations) <= set(numbers), s
        assert s.text in answer.answer, s.text


def start_chroma(folder: Path) -> tuple[subprocess.Popen, int]:
    """A real `chroma run` on a free loopback port with its data and log in `folder`, ready."""
    port = free_port()
    exe = os.path.join(os.path.dirname(sys.executable), "chroma")
    log = open(folder / "chroma.log", "w")  # a file, not a pipe: chroma logs every request and would block
    proc = subprocess.Popen([exe, "run", "--path", str(folder / "chroma-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, ANONYMIZED_TELEMETRY="False"))
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200,
             "chroma run starting", 60, proc, lambda: (folder / "chroma.log").read_text())
    return proc, port


class NoPages:
    """The two calls `extractive.compose` makes of a corpus, answered for made-up passages (no index
    behind them: no page, no period)."""
    def page(self, doc_id, offset):
        return None

    def period(self, doc_id):
        return None
