"""One bad file never stops a batch, an index, an upload or an export. Every file here is crafted by the
test: sidecars of the wrong type, a DOCX with broken XML, a PDF whose stream inflates past any sane
size, pages nested or wide enough to be quadratic, names the file system or UTF-8 refuse."""
from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import docx
import httpx
import pytest

from assistant import Assistant, uploads
from assistant.brief import to_docx
from assistant.export import conversation_docx

from .conftest import CAMBS_2012, CAMBS_2014, HANTS_2014, ROOT
from .helpers import free_port
from .test_api import serve, wait_ready


def _docx(paragraphs: list[str]) -> bytes:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _broken_docx() -> bytes:
    """A real DOCX whose word/document.xml is cut in half (lxml: XMLSyntaxError)."""
    src, out = zipfile.ZipFile(io.BytesIO(_docx([f"Paragraph {i} of the report." for i in range(200)]))), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            z.writestr(info, data[:len(data) // 2] if info.filename == "word/document.xml" else data)
    return out.getvalue()


def _inflating_pdf(inflated: int = 100_000_000) -> bytes:
    """A ~0.3 MB PDF whose one content stream inflates to `inflated` bytes of text operators."""
    comp, line = zlib.compressobj(9), b"BT /F1 12 Tf 72 712 Td (x) Tj ET\n" * 30000
    data = b"".join(comp.compress(line) for _ in range(inflated // len(line))) + comp.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
            b"/Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_sidecars_of_the_wrong_type_are_refused_field_by_field_and_the_index_keeps_answering(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for f in (CAMBS_2012, HANTS_2014):
        shutil.copy(f, folder / f.name)
    (folder / (CAMBS_2012.name + ".meta.json")).write_text(json.dumps(
        {"year": "abc", "forces": 5, "title": ["x"], "kind": "response"}))
    (folder / (HANTS_2014.name + ".meta.json")).write_text(json.dumps(
        {"year": "12345678901234567890", "forces": [1], "published": "2014-13-45"}))
    a = Assistant.open(tmp_path / "index")
    try:
        report = a.ingest([folder])
        assert len(report.added) == 2 and not report.failed
        said = "\n".join(report.warnings)
        for field, value in (("year", '"abc"'), ("forces", "5"), ("title", '["x"]'), ("year", '"12345678901234567890"'),
                             ("forces", "[1]"), ("published", '"2014-13-45"')):
            assert f"{field} {value} refused" in said, said
        docs = {Path(d.source).name: d for d in a.documents()}
        assert docs[CAMBS_2012.name].kind == "response"  # the good field of the same sidecar applies
        assert docs[CAMBS_2012.name].year == 2012 and docs[HANTS_2014.name].year == 2014  # inferred years kept
        assert a.ask("What did HMIC find about vetting?").citations
        assert a.search("vetting", filters=a.filters(year_from=2014))
        assert a.stats()["documents"] == 2 and a.covered("year") == [2012, 2014]
    finally:
        a.close()


def test_a_bad_value_an_older_hmiqa_stored_reads_as_unknown_and_ingest_repairs_it(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(CAMBS_2012, folder / CAMBS_2012.name)
    a = Assistant.open(tmp_path / "index")
    a.ingest([folder])
    a.close()
    db = sqlite3.connect(tmp_path / "index" / "catalog.sqlite")
    with db:  # what a sidecar {"year": "abc"} left in an index of an hmiqa from before sidecars were checked
        db.execute("DELETE FROM meta WHERE key = 'metadata_checked'")  # which never checked its records
        db.execute("UPDATE documents SET data = json_set(data, '$.year', 'abc')")
        db.execute("UPDATE headers SET header = json_set(header, '$.year', 'abc')")
        db.execute("UPDATE chunks SET data = json_set(data, '$.year', 'abc')")
    a = Assistant.open(tmp_path / "index")
    try:
        assert a.ask("What did HMIC find about gifts and hospitality?").citations
        assert a.search("gifts", filters=a.filters(year_from=2010)) == []  # a year unknown never passes a year filter
        assert a.covered("year") == [] and a.documents()[0].year is None
        report = a.ingest([folder])
        assert report.metadata_repaired == {str((folder / CAMBS_2012.name).resolve()): ["year"]}
    finally:
        a.close()
    assert {r[0] for r in db.execute("SELECT json_extract(data, '$.year') FROM chunks")} == {None}
    assert db.execute("SELECT json_extract(data, '$.year') FROM documents").fetchone()[0] is None


def test_one_unreadable_file_fails_alone_and_the_batch_goes_on(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "broken.docx").write_bytes(_broken_docx())
    (folder / "inflating.pdf").write_bytes(_inflating_pdf())
    shutil.copy(CAMBS_2012, folder / CAMBS_2012.name)
    res = subprocess.run([sys.executable, "-m", "cli", "ingest", str(folder), "--index", str(tmp_path / "index")],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 1, res.stderr
    assert "1 added" in res.stdout and "2 failed" in res.stdout
    assert "Traceback" not in res.stderr
    assert f"failed: {folder / 'broken.docx'}: the DOCX could not be read (XMLSyntaxError" in res.stderr
    assert f"failed: {folder / 'inflating.pdf'}: a stream of the PDF inflates past" in res.stderr


def test_pages_nested_or_wide_enough_to_be_quadratic_are_read_whole(tmp_path):
    from ingest.loaders import load

    nested = tmp_path / "nested.html"
    nested.write_text("<html><body>" + "<div>x " * 100_000 + "</div>" * 100_000 + "</body></html>")
    assert load(nested).text.count("x") == 100_000  # deeper than Python's recursion limit
    wide = tmp_path / "wide.html"
    wide.write_text("<html><body><ul>" + "".join(f"<li>Item {i}.</li>" for i in range(20_000)) + "</ul></body></html>")
    text = load(wide).text
    assert text.count("• Item") == 20_000 and "• Item 19999." in text
    long = tmp_path / "long.docx"
    long.write_bytes(_docx([f"Paragraph {i}." for i in range(20_000)]))
    assert load(long).text.count("Paragraph") == 20_000


def test_a_document_past_its_budget_is_refused_with_a_reason_and_the_next_goes_on(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    # several seconds of reading on these machines (the budget is checked as the page is walked)
    (folder / "huge.html").write_text("<html><body>" + "".join(f"<p>Paragraph {i} of the page.</p>"
                                                               for i in range(300_000)) + "</body></html>")
    (folder / "expands.docx").write_bytes(_docx([f"Paragraph {i} of a long report, said at length." for i in range(20_000)]))
    shutil.copy(CAMBS_2012, folder / CAMBS_2012.name)
    a = Assistant.open(tmp_path / "index", max_read_seconds=1, max_expanded_mb=1)
    try:
        report = a.ingest([folder])
        failed = {Path(f.path).name: f.reason for f in report.failed}
        assert "longer than the 1 s a document may take" in failed["huge.html"]
        assert "the DOCX expands to" in failed["expands.docx"] and "over the 1 MB" in failed["expands.docx"]
        assert [Path(s).name for s in report.added] == [CAMBS_2012.name]
    finally:
        a.close()


def test_a_failed_upload_keeps_the_original_and_leaves_no_file_behind(tmp_path):
    a = Assistant.open(tmp_path / "index")
    try:
        good = _docx(["Cambridgeshire Constabulary gifts and hospitality review.",
                      "The register of gifts and hospitality is published every month on the force website."])
        first = a.upload("report.docx", good)
        assert first.status == "added"
        again = a.upload("report.docx", _broken_docx())
        assert again.status == "failed" and "XMLSyntaxError" in again.reason
        saved = tmp_path / "index" / "uploads"
        assert (saved / "report.docx").read_bytes() == good
        assert [p.name for p in saved.iterdir()] == ["report.docx"]  # no backup left beside it
        assert [d.doc_id for d in a.documents()] == [first.document.doc_id]
        assert a.upload("other.docx", _broken_docx()).status == "failed"
        assert not (saved / "other.docx").exists()
    finally:
        a.close()


def test_an_upload_whose_ingest_raises_puts_the_original_back(tmp_path):
    """add_upload with an ingest that raises (a stand-in for a failure the pipeline does not report,
    such as the process's disk filling): the earlier file is restored, a new one removed."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "report.txt").write_text("the original")

    def raising(paths):
        raise OSError("disk gone")
    for name in ("report.txt", "new.txt"):
        with pytest.raises(OSError):
            uploads.add_upload(name, b"a new version", folder, 10, raising, lambda source: None)
    assert sorted(p.name for p in folder.iterdir()) == ["report.txt"]
    assert (folder / "report.txt").read_text() == "the original"


def test_a_report_holding_control_characters_exports_to_word_and_quotes_exactly(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for f in (CAMBS_2012, CAMBS_2014):  # the 2014 report's recommendations are followed into the brief
        text = f.read_text(encoding="utf-8").replace("gifts and hospitality", "gifts\x0band\x01hospitality")
        (folder / f.name).write_text(text, encoding="utf-8")
    a = Assistant.open(tmp_path / "index")
    try:
        a.ingest([folder])
        answer = a.ask("What did HMIC find about the gifts register?")
        quotes = [c.quote for c in answer.citations]
        assert any("\x0b" in q or "\x01" in q for q in quotes), quotes
        for c in answer.citations:  # exact in the JSON record
            assert a.document(c.doc_id).text[c.start:c.end] == c.quote
        word = docx.Document(io.BytesIO(conversation_docx([(answer.question, answer)])))
        assert any("gifts and" in p.text or "giftsand" in p.text for p in word.paragraphs)
        brief = a.brief("Cambridgeshire")
        items = [i for _, section in brief.sections() for i in section]
        assert any("\x0b" in i.text or "\x01" in i.text for i in items) or any(
            "\x0b" in e.quote or "\x01" in e.quote for i in items for e in i.evidence)
        assert docx.Document(io.BytesIO(to_docx(brief))).paragraphs
    finally:
        a.close()


def test_names_the_file_system_or_utf8_refuse_are_clear_failures(tmp_path):
    from ingest.pipeline import IngestReport, discover

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "loop").symlink_to(folder / "loop")
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    bad = bytes(folder) + b"/caf\xe9.txt"
    with open(bad, "wb") as f:
        f.write(b"A report.")
    report = IngestReport()
    assert discover([folder], report) == []
    why = {Path(f.path).name: f.reason for f in report.failed}
    assert why["loop"].startswith("a symbolic link that loops back on itself")
    assert why["dangling.txt"].startswith("a link to") and "does not exist" in why["dangling.txt"]
    assert why["caf\ufffd.txt"].startswith("its name is not valid UTF-8")
    long = folder / ("r" * 250 + ".txt")  # 254 characters: its sidecar's name would be too long to exist
    long.write_text(CAMBS_2012.read_text(encoding="utf-8"))
    from ingest.pipeline import build_document
    doc, _ = build_document(long, "h")
    assert doc.text
    assert uploads.safe_name("x" * 300 + ".pdf").endswith("x.pdf")
    assert len(uploads.safe_name("é" * 300 + ".pdf").encode()) <= uploads.NAME_BYTES


@pytest.mark.server
def test_uploads_over_real_http_fail_with_a_4xx_that_says_why(tmp_path):
    port = free_port()
    proc = serve(tmp_path / "index", port, HMIQA_API_KEYS="r1", HMIQA_ADMIN_KEYS="a1")
    url, admin = f"http://127.0.0.1:{port}", {"Authorization": "Bearer a1"}
    try:
        wait_ready(proc, url)
        assert httpx.head(f"{url}/healthz").status_code == 200
        assert httpx.head(f"{url}/readyz").status_code == 200
        good = CAMBS_2012.read_bytes()
        r = httpx.post(f"{url}/v1/documents", headers=admin, timeout=300,
                       files={"file": ("r" * 300 + ".txt", good, "text/plain")})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "added"
        r = httpx.post(f"{url}/v1/documents", headers=admin, timeout=300,
                       files=[("file", ("a.txt", good, "text/plain")), ("file", ("b.txt", good, "text/plain"))])
        assert r.status_code == 400 and r.json()["error"]["code"] == "one_file_per_upload", r.text
        ok = _docx(["Hampshire Constabulary vetting review.", "The force vets every new recruit before they start."])
        assert httpx.post(f"{url}/v1/documents", headers=admin, timeout=300,
                          files={"file": ("report.docx", ok)}).status_code == 201
        r = httpx.post(f"{url}/v1/documents", headers=admin, timeout=300, files={"file": ("report.docx", _broken_docx())})
        assert r.status_code == 422 and r.json()["error"]["code"] == "ingest_failed", r.text
        assert "XMLSyntaxError" in r.json()["error"]["message"]
        assert (tmp_path / "index" / "uploads" / "report.docx").read_bytes() == ok
    finally:
        proc.terminate()
        proc.wait(timeout=30)
