"""When the store under the index fails (the disk is full, the Chroma server is gone), people get a
sentence saying so and what to do, and what was indexed before stays intact."""
from __future__ import annotations

import errno
import shutil

import httpx
import pytest

from assistant import Assistant, StoreFull, StoreUnavailable
from index.vectors import VectorStore

from .conftest import CAMBS_2012, RESPONSE
from .helpers import free_port, start_chroma
from .test_api import serve, wait_ready


def test_a_full_disk_is_said_plainly_and_loses_nothing(tmp_path, corpus, monkeypatch):
    a = Assistant.open(tmp_path / "index")
    assert a.ingest([corpus]).ok
    before = {d.doc_id for d in a.documents()}
    answer = a.ask("What did HMIC recommend to Cambridgeshire?")
    assert answer.citations

    def full(self, chunks, vectors, batch=1000):
        # simulated: a test cannot count on mounting a small filesystem here, so the store's write
        # path fails as a full disk makes it fail
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(VectorStore, "add", full)
    shutil.copy(RESPONSE.parent / "001_850c0d38e4dea2b1.txt", corpus / "hampshire.txt")
    with pytest.raises(StoreFull, match="no space left on the device holding the index"):
        a.ingest([corpus])
    assert {d.doc_id for d in a.documents()} == before, "what was indexed before is intact and readable"
    assert a.ask("What did HMIC recommend to Cambridgeshire?").answer == answer.answer
    stats = a.stats()
    assert stats["chunks"] == stats["vectors"]

    monkeypatch.undo()  # space is back: the next ingest repairs the interrupted write and adds the report
    report = a.ingest([corpus])
    assert report.ok and len(report.added) == 1 and len(report.repaired) == 1
    stats = a.stats()
    assert stats["documents"] == 3 and stats["chunks"] == stats["vectors"]
    a.close()


@pytest.mark.server
def test_a_chroma_server_that_stops_is_a_503_from_every_endpoint_and_a_plain_error(tmp_path):
    chroma, chroma_port = start_chroma(tmp_path)
    env = {"HMIQA_CHROMA_HOST": "127.0.0.1", "HMIQA_CHROMA_PORT": str(chroma_port)}
    port = free_port()
    api = serve(tmp_path / "api-local", port, **env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(api, url)
        a = Assistant.open(tmp_path / "local", chroma_host="127.0.0.1", chroma_port=chroma_port)
        folder = tmp_path / "reports"
        folder.mkdir()
        shutil.copy(RESPONSE, folder)
        assert a.ingest([folder]).ok
        assert httpx.post(f"{url}/v1/ask", json={"question": "What did HMIC recommend?"}, timeout=120).status_code == 200

        chroma.terminate()
        chroma.wait(timeout=30)
        for method, path, body in (("GET", "/readyz", None), ("POST", "/v1/ask", {"question": "What did HMIC recommend?"}),
                                   ("POST", "/v1/search", {"question": "vetting"}), ("GET", "/v1/documents", None)):
            r = httpx.request(method, f"{url}{path}", json=body, timeout=120)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "store_unavailable", r.text
            assert "Chroma server" in r.json()["error"]["message"]
        # an ingest that meets the stopped server: a sentence, not a traceback
        shutil.copy(CAMBS_2012, folder)
        with pytest.raises(StoreUnavailable, match=f"Chroma server at 127.0.0.1:{chroma_port} cannot be reached"):
            a.ingest([folder])
    finally:
        api.terminate()
        api.wait(timeout=30)
        if chroma.poll() is None:
            chroma.terminate()
