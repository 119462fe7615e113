"""A short bounded load run over real HTTP: concurrent clients, zero errors, no 5xx."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.server


def test_short_load_run_has_no_errors(seeded_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    out = tmp_path / "load.json"
    r = subprocess.run([sys.executable, "scripts/load.py", "--serve", str(index), "--clients", "1,4",
                        "--seconds", "6", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    runs = json.loads(out.read_text())
    assert [x["clients"] for x in runs] == [1, 4]
    for x in runs:
        assert x["requests"] > 0 and x["errors"] == 0 and x["server_errors"] == 0
        assert x["latency_ms"]["ask"]["n"] > 0 and x["latency_ms"]["search"]["n"] > 0
    assert "| clients | seconds | requests | req/s |" in r.stdout


def test_load_refuses_anything_but_loopback():
    r = subprocess.run([sys.executable, "scripts/load.py", "--url", "http://example.org:8000", "--seconds", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not on loopback" in r.stderr
