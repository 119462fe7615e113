"""The REST API in-process (FastAPI's TestClient) and over real HTTP (`hmiqa serve` on loopback)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant import Assistant

from .conftest import CAMBS_2012, ROOT
from .helpers import free_port, wait_for
from .test_browser import NEW_REPORT


@pytest.fixture(scope="module")
def client(seeded):
    with TestClient(create_app(seeded)) as c:
        yield c


def error(r, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    return body["error"]["message"]


def test_ask_returns_the_answer_record_with_checked_citations(client, seeded):
    r = client.post("/v1/ask", json={"question": "What progress has been made on vetting since 2014?"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert {"answer", "sentences", "citations", "filters", "refused", "mode", "timings_ms"} <= set(a)
    assert not a["refused"] and a["filters"]["year_from"] == 2014 and a["citations"]
    chunks = seeded.index.chunk_map()
    for c in a["citations"]:
        assert c["quote"] in chunks[c["chunk_id"]].text
        assert seeded.document(c["doc_id"]).text[c["start"]:c["end"]] == c["quote"]


def test_ask_with_filters_history_and_k(client):
    r = client.post("/v1/ask", json={"question": "and in Hampshire?", "history": ["Are refused gifts recorded?"],
                                     "k": 5, "filters": {"year_from": 2014}})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["filters"]["forces"] == ["Hampshire"] and a["filters"]["sources"]["years"] == "caller"
    assert all(c["force"] == "Hampshire" for c in a["citations"])


def test_search_and_documents(client):
    r = client.post("/v1/search", json={"question": "vetting", "k": 3, "filters": {"forces": ["Cambs"]},
                                        "retriever": "bm25"})
    assert r.status_code == 200, r.text
    passages = r.json()["passages"]
    assert len(passages) == 3 and all(p["forces"] == ["Cambridgeshire"] for p in passages)
    assert {"chunk_id", "text", "start", "end", "section", "score", "rank", "scores"} <= set(passages[0])
    docs = client.get("/v1/documents").json()
    assert len(docs) == 5 and all("text" not in d and "/" not in d["source"] for d in docs)
    one = client.get(f"/v1/documents/{docs[0]['doc_id']}").json()
    assert one["title"] == docs[0]["title"] and len(one["text"]) > 1000


@pytest.mark.parametrize("path", ["/v1/documents/0123456789abcdef", "/v1/documents/..%2F..%2Fcatalog.sqlite",
                                  "/v1/documents/%2e%2e", "/v1/documents/../../etc/passwd"])
def test_unknown_or_crafted_document_ids_are_404s(client, path):
    error(client.get(path), 404, "not_found")


def test_a_document_id_with_a_trailing_newline_is_not_an_id(client):
    from api.service import DOC_ID_RE

    real = client.get("/v1/documents").json()[0]["doc_id"]
    assert DOC_ID_RE.match(real) and not DOC_ID_RE.match(real + "\n")
    r = client.get(f"/v1/documents/{real}%0A")
    error(r, 404, "not_found")
    assert "ids are 16 hex characters" in r.json()["error"]["message"]


@pytest.mark.parametrize("body,status,code,says", [
    ({"question": "x" * 2001}, 422, "invalid_request", "at most 2000 characters"),
    ({"question": ""}, 422, "invalid_request", "at least 1 character"),
    ({"question": "   "}, 400, "bad_request", "the question is empty"),
    ({"question": "vetting", "k": 0}, 422, "invalid_request", "k: Input should be greater than or equal to 1"),
    ({"question": "vetting", "k": 21}, 422, "invalid_request", "k: Input should be less than or equal to 20"),
    ({"question": "vetting", "history": ["q"] * 21}, 422, "invalid_request", "history: List should have at most 20"),
    ({"question": "vetting", "mode": "magic"}, 422, "invalid_request", "mode: Input should be 'extractive' or 'llm'"),
    ({"question": "vetting", "filters": {"forces": ["Gotham"]}}, 400, "bad_request", "Gotham"),
    ({"question": "vetting", "filters": {"year_from": 2020, "year_to": 2010}}, 400, "bad_request", "is empty"),
    ({"question": "vetting", "surprise": 1}, 422, "invalid_request", "surprise: Extra inputs are not permitted"),
])
def test_each_limit_is_a_4xx_naming_it(client, body, status, code, says):
    assert says in error(client.post("/v1/ask", json=body), status, code)


def test_oversized_bodies_and_unknown_routes_use_the_error_shape(client):
    big = '{"question": "' + "x" * 2_000_000 + '"}'
    assert "at most" in error(client.post("/v1/ask", content=big, headers={"content-type": "application/json"}),
                              413, "too_large")
    error(client.get("/v1/nothing"), 404, "not_found")
    error(client.put("/v1/ask", json={}), 405, "method_not_allowed")
    error(client.post("/v1/ask", content="{not json", headers={"content-type": "application/json"}),
          422, "invalid_request")


def test_upload_checks_type_size_and_content_and_loses_nothing(tmp_path):
    a = Assistant.open(tmp_path / "index", max_upload_mb=1)
    with TestClient(create_app(a)) as c:
        r = c.post("/v1/documents", files={"file": ("dorset.txt", NEW_REPORT.encode(), "text/plain")})
        assert r.status_code == 201, r.text
        doc = r.json()["document"]
        assert r.json()["status"] == "added" and doc["forces"] == ["Dorset"] and doc["n_chunks"] >= 1
        assert "'.exe' files are not supported" in error(
            c.post("/v1/documents", files={"file": ("x.exe", b"MZ", "application/x")}), 415, "unsupported_type")
        assert "limit is 1 MB" in error(
            c.post("/v1/documents", files={"file": ("big.txt", b"a" * (1024 * 1024 + 10), "text/plain")}),
            413, "too_large")
        msg = error(c.post("/v1/documents", files={"file": ("broken.pdf", b"%PDF-1.7\ngarbage", "application/pdf")}),
                    422, "ingest_failed")
        assert "broken.pdf could not be added" in msg and "Nothing in the index changed" in msg
        assert [d["title"] for d in c.get("/v1/documents").json()] == [doc["title"]]
        again = c.post("/v1/documents", files={"file": ("dorset.txt", NEW_REPORT.encode(), "text/plain")})
        assert again.json()["status"] == "unchanged"
        r = c.delete(f"/v1/documents/{doc['doc_id']}")
        assert r.status_code == 200 and r.json()["deleted"] == doc["doc_id"]
        assert c.get("/v1/documents").json() == []
        error(c.delete(f"/v1/documents/{doc['doc_id']}"), 404, "not_found")


def test_keys_no_key_401_read_key_cannot_delete_403(tmp_path):
    index = tmp_path / "index"
    a = Assistant.open(index, api_keys="reader-1", admin_keys="admin-1")
    folder = tmp_path / "r"
    folder.mkdir()
    shutil.copy(CAMBS_2012, folder)
    a.ingest([folder])
    doc_id = a.documents()[0].doc_id
    with TestClient(create_app(a)) as c:
        error(c.get("/v1/documents"), 401, "unauthorized")
        error(c.get("/v1/documents", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
        read, admin = {"Authorization": "Bearer reader-1"}, {"Authorization": "Bearer admin-1"}
        assert c.get("/v1/documents", headers=read).status_code == 200
        assert c.post("/v1/ask", json={"question": "second jobs"}, headers=read).status_code == 200
        error(c.delete(f"/v1/documents/{doc_id}", headers=read), 403, "forbidden")
        error(c.post("/v1/documents", headers=read, files={"file": ("a.txt", b"x", "text/plain")}), 403, "forbidden")
        assert c.delete(f"/v1/documents/{doc_id}", headers=admin).status_code == 200
        assert c.get("/healthz").status_code == 200, "health needs no key"


def test_serve_refuses_a_public_address_without_keys():
    env = {k: v for k, v in os.environ.items() if k not in ("HMIQA_API_KEYS", "HMIQA_ADMIN_KEYS")}
    r = subprocess.run([sys.executable, "-m", "cli", "serve", "--host", "0.0.0.0"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 2 and "refusing to bind 0.0.0.0 without API keys" in r.stderr


def serve(index, port, **env) -> subprocess.Popen:
    e = dict(os.environ, **{k: str(v) for k, v in env.items()})
    os.makedirs(index, exist_ok=True)
    log = open(os.path.join(index, f"serve-{port}.log"), "w")  # a file: a full pipe would block the server
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--index", str(index), "--port",
                             str(port)], cwd=ROOT, env=e, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name
    return proc


def wait_ready(proc, url, timeout=120):
    wait_for(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, f"{url} ready", timeout, proc,
             lambda: open(proc.log_path).read())


@pytest.mark.server
def test_over_real_http_with_keys(seeded_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    port = free_port()
    proc = serve(index, port, HMIQA_API_KEYS="r1", HMIQA_ADMIN_KEYS="a1")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(proc, url)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.post(f"{url}/v1/ask", json={"question": "vetting"}).status_code == 401
        r = httpx.post(f"{url}/v1/ask", json={"question": "Is Hampshire re-vetting its staff?"},
                       headers={"Authorization": "Bearer r1"}, timeout=60)
        assert r.status_code == 200 and r.json()["citations"][0]["force"] == "Hampshire"
        assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "hmiqa"
        assert httpx.get(f"{url}/docs").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
