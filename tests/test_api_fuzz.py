"""schemathesis against the served API's own OpenAPI schema: no 5xx, no response outside the schema."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .test_api import serve, wait_ready
from .helpers import free_port

pytestmark = pytest.mark.server


def test_schemathesis_finds_no_server_errors_or_schema_violations(seeded_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)  # the fuzzer uploads and deletes with the admin key
    port = free_port()
    proc = serve(index, port, HMIQA_API_KEYS="fuzz-read", HMIQA_ADMIN_KEYS="fuzz-admin")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url)
        st = os.path.join(os.path.dirname(sys.executable), "st")
        r = subprocess.run([st, "run", f"{url}/openapi.json", "-H", "Authorization: Bearer fuzz-admin",
                            "--checks", "not_a_server_error,response_schema_conformance",
                            "--phases", "coverage,fuzzing", "-n", "15", "-w", "1", "--generation-deterministic",
                            "--request-timeout", "60", "--max-time", "150"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-4000:]
        assert "passed" in r.stdout and "failed" not in r.stdout.split("SUMMARY")[-1].lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
