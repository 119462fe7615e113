"""Shared deployment: a real `chroma run` on loopback, an API process started on an empty store,
the seed reports ingested by a separate CLI process, answered by the API; a report added through
the API seen by a third process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from assistant import Assistant

from .conftest import ROOT, SEEDS
from .test_api import serve, wait_ready
from .helpers import free_port, start_chroma
from .test_browser import NEW_REPORT

pytestmark = pytest.mark.server


@pytest.fixture
def chroma(tmp_path):
    proc, port = start_chroma(tmp_path)
    yield {"HMIQA_CHROMA_HOST": "127.0.0.1", "HMIQA_CHROMA_PORT": str(port)}
    proc.terminate()
    proc.wait(timeout=20)


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, **env), timeout=600)


def test_processes_share_one_chroma_server(chroma, tmp_path):
    port = free_port()
    api = serve(tmp_path / "api-local", port, **chroma)  # started before anything is indexed
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(api, url)
        assert httpx.get(f"{url}/readyz").json()["store"] == "chroma server"
        assert httpx.get(f"{url}/v1/documents").json() == []

        ingest = cli("ingest", str(SEEDS), "--index", str(tmp_path / "cli-local"), env=chroma)
        assert ingest.returncode == 0, ingest.stderr
        assert "5 added" in ingest.stdout
        assert not (tmp_path / "cli-local" / "catalog.sqlite").exists(), "nothing shared is kept locally"
        probe = Assistant.open(tmp_path / "probe", chroma_host="127.0.0.1", chroma_port=int(chroma["HMIQA_CHROMA_PORT"]))
        chunk_ids = list(probe.index.chunk_map())
        assert len(chunk_ids) > 100
        assert set(probe.index.sentence_vectors(chunk_ids)) == set(chunk_ids), "sentence vectors shared by the server"
        bm25 = probe.index.bm25  # the writer's published segments, not every chunk tokenised again
        assert bm25.tokenised == 0 and [s.name for s in bm25.segments] == \
            [s["name"] for s in probe.index.shared_bm25.manifest()["segments"]]

        docs = httpx.get(f"{url}/v1/documents").json()
        assert len(docs) == 5
        r = httpx.post(f"{url}/v1/ask", json={"question": "What progress has been made on vetting since 2014?"},
                       timeout=120)
        a = r.json()
        assert r.status_code == 200 and not a["refused"] and len({c["year"] for c in a["citations"]}) >= 2
        brief = httpx.get(f"{url}/v1/brief", params={"force": "Hampshire"}, timeout=120)
        assert brief.status_code == 200, brief.text
        areas = [i for i in brief.json()["items"] if i["kind"] == "area_for_improvement"]
        assert len(areas) == 5 and all(i["year"] == 2012 for i in areas), "findings of another process's ingest"
        hits = httpx.post(f"{url}/v1/search", json={"question": "confide in us", "retriever": "bm25", "k": 1}).json()
        assert hits["passages"] and hits["passages"][0]["forces"] == ["Hampshire"], "BM25 rebuilt from Chroma"

        up = httpx.post(f"{url}/v1/documents", files={"file": ("dorset.txt", NEW_REPORT.encode(), "text/plain")},
                        timeout=120)
        assert up.status_code == 201, up.text
        seen = cli("docs", "--json", "--index", str(tmp_path / "third"), env=chroma)
        assert seen.returncode == 0, seen.stderr
        assert "Dorset" in {f for d in json.loads(seen.stdout) for f in d["forces"]}
        asked = cli("ask", "What is the night-time confidential reporting desk in Dorset?", "--json",
                    "--index", str(tmp_path / "third"), env=chroma)
        assert json.loads(asked.stdout)["citations"][0]["force"] == "Dorset"
        # the API's upload published a segment of its own: a new process reads both, tokenising nothing
        later = Assistant.open(tmp_path / "later", chroma_host="127.0.0.1", chroma_port=int(chroma["HMIQA_CHROMA_PORT"]))
        assert later.index.bm25.tokenised == 0 and [s.name for s in later.index.bm25.segments] == \
            [s["name"] for s in later.index.shared_bm25.manifest()["segments"]]
        hits = later.search("night-time confidential reporting desk", retriever="bm25", k=1)
        assert hits and hits[0].forces == ["Dorset"]
        assert len(probe.index.bm25.chunk_ids) < len(later.index.bm25.chunk_ids)
    finally:
        api.terminate()
        api.wait(timeout=30)


def test_an_unreachable_chroma_server_is_a_clear_error(tmp_path):
    port = free_port()
    r = cli("docs", "--index", str(tmp_path / "x"), env={"HMIQA_CHROMA_HOST": "127.0.0.1",
                                                         "HMIQA_CHROMA_PORT": str(port)})
    assert r.returncode == 2
    assert f"cannot reach the Chroma server at http://127.0.0.1:{port}" in r.stderr and "chroma run" in r.stderr
