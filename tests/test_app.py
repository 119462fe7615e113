"""The search page: served by `hmiqa ui` over real HTTP, and its script run by Streamlit's AppTest."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_hmiqa_ui_serves_on_loopback(seeded_index):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ui", "--index", str(seeded_index),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
                assert time.time() < deadline, "streamlit did not become healthy in 60 s"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_search_page_shows_filtered_passages(seeded_index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HMIQA_INDEX", str(seeded_index))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.main.children[0].type == "title", "nothing may render above the title"
    assert not at.get("code") and not at.get("help")
    at.sidebar.multiselect[0].select("Hampshire").run()
    at.text_input[0].input("gifts and hospitality refused").run()
    assert not at.exception and not at.error
    headers = [m.value for m in at.markdown if m.value.startswith("**[")]
    assert len(headers) == 8 and all("Hampshire" in h for h in headers)


def test_search_page_says_how_to_add_reports_when_empty(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HMIQA_INDEX", str(tmp_path / "empty"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert "hmiqa ingest" in at.warning[0].value
