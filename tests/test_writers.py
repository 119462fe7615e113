"""Two writers on one index lose nothing: a second ingest (CLI or an API upload) waits for the first,
and neither the waiting one nor a new process's repair touches the live one's half-written report."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import httpx
import pytest

from index.writer_lock import WriterLock

from .conftest import CAMBS_2012, CAMBS_2014, HANTS_2014, PEEL_2018, RESPONSE, ROOT
from .helpers import free_port, wait_for
from .test_api import serve, wait_ready
from .test_browser import NEW_REPORT

pytestmark = pytest.mark.server


def _folder(tmp_path, name, files):
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _ingest(index, folder):
    return subprocess.Popen([sys.executable, "-m", "cli", "ingest", str(folder), "--index", str(index)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def _stats(index):
    out = subprocess.run([sys.executable, "-m", "cli", "stats", "--json", "--index", str(index)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_two_cli_ingests_started_together_on_a_new_index_lose_nothing(tmp_path):
    a = _folder(tmp_path, "a", [CAMBS_2014, HANTS_2014])
    b = _folder(tmp_path, "b", [RESPONSE, CAMBS_2012, PEEL_2018])
    index = tmp_path / "index"  # does not exist yet: both processes create it at once
    procs = [_ingest(index, a), _ingest(index, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    assert "2 added" in outs[0][0] and "3 added" in outs[1][0]
    stats = _stats(index)
    assert stats["documents"] == 5
    assert stats["chunks"] == stats["vectors"] > 100


def test_a_second_cli_ingest_waits_for_the_first_and_says_so(tmp_path):
    index = tmp_path / "index"
    first = _ingest(index, _folder(tmp_path, "a", [CAMBS_2014, HANTS_2014, PEEL_2018]))
    lock = WriterLock(index)
    wait_for(lambda: lock.holder() is not None, "the first ingest holding the writer lock", 120, first,
             lambda: first.stderr.read() if first.poll() is not None else "")
    second = _ingest(index, _folder(tmp_path, "b", [RESPONSE, CAMBS_2012]))
    out2, err2 = second.communicate(timeout=600)
    out1, err1 = first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, (err1[-1000:], err2[-1000:])
    assert f"another ingest is running on this index (process {first.pid}); waiting" in err2
    assert "repaired" not in err2, "the waiting ingest must not remove the live one's report"
    assert "3 added" in out1 and "2 added" in out2
    stats = _stats(index)
    assert stats["documents"] == 5 and stats["chunks"] == stats["vectors"]


def test_a_served_api_sees_another_process_ingest_and_its_upload_waits_for_one(tmp_path):
    index = tmp_path / "index"
    port = free_port()
    api = serve(index, port)  # the API opens the index first; the CLI writes to it while it serves
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(api, url)
        assert httpx.get(f"{url}/v1/documents").json() == []
        # another process ingests while the API serves: the API's dense search finds it within seconds
        first = _ingest(index, _folder(tmp_path, "first", [HANTS_2014]))
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err[-2000:]

        def dense_finds_hampshire() -> bool:
            hits = httpx.post(f"{url}/v1/search", json={"question": "gifts and hospitality register in Hampshire",
                                                        "retriever": "dense", "k": 3}).json()["passages"]
            return bool(hits) and "Hampshire" in hits[0]["forces"]

        wait_for(dense_finds_hampshire, "the API finding the CLI's report by dense search", 5, api,
                 lambda: open(api.log_path).read())
        cli = _ingest(index, _folder(tmp_path, "a", [CAMBS_2014, RESPONSE, PEEL_2018]))
        lock = WriterLock(index)
        wait_for(lambda: lock.holder() is not None, "the CLI ingest holding the writer lock", 120, cli,
                 lambda: cli.stderr.read() if cli.poll() is not None else "")
        up = httpx.post(f"{url}/v1/documents", files={"file": ("dorset.txt", NEW_REPORT.encode(), "text/plain")},
                        timeout=600)
        assert up.status_code == 201, up.text
        out, err = cli.communicate(timeout=600)
        assert cli.returncode == 0 and "3 added" in out, err[-2000:]
        docs = httpx.get(f"{url}/v1/documents").json()
        assert len(docs) == 5, [d["title"] for d in docs]
    finally:
        api.terminate()
        api.wait(timeout=30)
    stats = _stats(index)
    assert stats["documents"] == 5 and stats["chunks"] == stats["vectors"]
