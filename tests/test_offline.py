"""Nothing reaches the network at run time: ingest and search run with every socket watched."""
from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT, SEEDS

# Runs in a fresh interpreter so that the hook sees every import (model, Chroma, telemetry) happen.
SCRIPT = r"""
import json, socket, sys
attempts = []
def is_local(host):
    return host is None or str(host) in ("localhost", "::1", "") or str(host).startswith("127.") \
        or str(host).startswith("/")
def hook(event, args):
    if event == "socket.connect":
        addr = args[1]
        host = addr[0] if isinstance(addr, tuple) else addr
        if not is_local(host):
            attempts.append(f"connect {addr}")
    elif event == "socket.getaddrinfo":
        if not is_local(args[0]):
            attempts.append(f"resolve {args[0]}")
sys.addaudithook(hook)
from assistant import Assistant
a = Assistant.open(sys.argv[1])
report = a.ingest([sys.argv[2]])
hits = a.search("vetting backlog", k=3, filters=a.filters(forces=["Cambridgeshire"]))
print(json.dumps({"attempts": attempts, "added": len(report.added), "hits": len(hits)}))
"""


def test_ingest_and_search_make_no_network_calls(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no HF_HUB_OFFLINE from the caller
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "index"), str(SEEDS)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["added"] == 5 and result["hits"] == 3
    assert result["attempts"] == []
