"""The browser app without a browser: served by `hmiqa ui` over real HTTP, its pages run by
Streamlit's AppTest, and the library parts it uses (export, feedback, upload checks, removal)."""
from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import urllib.request

import pytest

from .conftest import CAMBS_2012, ROOT, SEEDS
from .helpers import free_port, wait_for



@pytest.mark.slow
def test_hmiqa_ui_serves_on_loopback(seeded_index):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ui", "--index", str(seeded_index),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok",
                 "streamlit becoming healthy", 60, proc, lambda: proc.stdout.read().decode())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # stopping `hmiqa ui` stops the server: nothing is left listening
    wait_for(lambda: not _listening(port), f"port {port} closing after `hmiqa ui` stopped", 20)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def app(index, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HMIQA_INDEX", str(index))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def test_chat_answers_with_a_timeline_sources_and_removable_filter_chips(seeded_index, monkeypatch):
    at = app(seeded_index, monkeypatch)
    assert not at.exception
    assert at.main.children[0].type == "title", "nothing may render above the title"
    at.chat_input[0].set_value("What progress has been made on vetting since 2014?").run()
    assert not at.exception and not at.error
    answer = next(m.value for m in at.markdown if "### 2014" in m.value)
    assert answer.index("### 2014") < answer.index("### 2020") and "[1]" in answer
    labels = [e.label for e in at.expander]
    assert labels and labels[0].startswith("[1] ") and " · 2014" in labels[0]
    assert any("<mark" in m.value for m in at.markdown), "each source shows its passage with the quote marked"
    chip = next(b for b in at.button if b.label == "years: 2014–… ✕")
    chip.click().run()
    assert not at.exception
    assert not any(b.label.startswith("years:") for b in at.button), "the chip is gone once removed"
    again = next(m.value for m in at.markdown if "### 20" in m.value)
    assert "years 2014 onward" not in again and "### 2014" in again, "re-asked without the years filter"


def test_a_refusal_shows_the_closest_passages_apart_from_the_answer(seeded_index, monkeypatch):
    at = app(seeded_index, monkeypatch)
    at.chat_input[0].set_value("What did HMIC say about police use of drones?").run()
    assert not at.exception and not at.error
    assert any("do not answer this" in m.value for m in at.markdown)
    assert any(m.value.startswith("**Closest passages** (not an answer") for m in at.markdown)
    assert not any(m.value == "**Sources**" for m in at.markdown)
    labels = [e.label for e in at.expander]
    assert labels and all(label.startswith("“") for label in labels), labels
    assert any("<mark" in m.value for m in at.markdown), "each passage shows the closest sentence marked"


def test_empty_index_says_how_to_add_reports(tmp_path, monkeypatch):
    at = app(tmp_path / "empty", monkeypatch)
    assert "Corpus" in at.warning[0].value and "hmiqa ingest" in at.warning[0].value


def test_conversation_exports_as_markdown_and_word(seeded):
    import docx

    from assistant.export import conversation_docx, conversation_markdown

    a = seeded.ask("Is Hampshire re-vetting its staff?")
    b = seeded.ask("and in Cambridgeshire?", history=["Is Hampshire re-vetting its staff?"])
    turns = [("Is Hampshire re-vetting its staff?", a), ("and in Cambridgeshire?", b)]
    md = conversation_markdown(turns)
    assert "## 1. Is Hampshire re-vetting its staff?" in md and "## 2. and in Cambridgeshire?" in md
    for c in a.citations + b.citations:
        assert f"> {c.quote}" in md
    document = docx.Document(io.BytesIO(conversation_docx(turns)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Is Hampshire re-vetting its staff?" in text and a.citations[0].quote in text
    # a refusal's closest passages go into the pack too, headed as not an answer
    refused = seeded.ask("What did HMIC say about police use of drones?")
    assert refused.refused and refused.closest
    md = conversation_markdown([("drones", refused)])
    assert "**Closest passages** (not an answer)" in md and f"> {refused.closest[0].quote}" in md
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(conversation_docx([("drones", refused)]))).paragraphs)
    assert "Closest passages (not an answer)" in text and refused.closest[0].quote in text


def test_feedback_is_stored_and_exports_valid_evaluation_lines(seeded, tmp_path):
    from pathlib import Path

    from assistant.feedback import FeedbackStore
    from eval.dataset import load

    store = FeedbackStore(tmp_path)
    good = seeded.ask("Is Hampshire re-vetting its staff?")
    bad = seeded.ask("What value bands does the Cambridgeshire gifts policy use?")
    store.record(good, 1)
    store.record(bad, 0)
    rows = store.all()
    assert [r.rating for r in rows] == [1, 0] and rows[0].citations[0]["quote"] == good.citations[0].quote
    files = {d.doc_id: Path(d.source).name for d in seeded.documents()}
    out = tmp_path / "feedback.jsonl"
    out.write_text(store.export_jsonl(files.get))
    items = load(out, SEEDS)  # every exported quote is found in its file by the eval validator
    assert len(items) == 1 and items[0].question == "Is Hampshire re-vetting its staff?"
    with pytest.raises(ValueError):
        store.record(good, 5)
    assert json.loads(out.read_text().splitlines()[0])["force"] == ["Hampshire"]


@pytest.mark.parametrize("name,size,problem", [
    ("report.exe", 10, "'.exe' files are not supported"),
    ("report", 10, "'no extension' files are not supported"),
    ("big.pdf", 51 * 1024 * 1024, "the limit is 50 MB"),
    ("empty.txt", 0, "empty.txt is empty"),
    ("fine.PDF", 1000, None),
])
def test_uploads_are_type_and_size_checked(name, size, problem):
    from ui.corpus import check_upload

    got = check_upload(name, size, max_mb=50)
    assert (got is None) if problem is None else (problem in got)


def test_removing_a_document_takes_it_out_of_search_and_keeps_its_file(fresh, tmp_path):
    import shutil

    folder = tmp_path / "r"
    folder.mkdir()
    shutil.copy(CAMBS_2012, folder / CAMBS_2012.name)
    fresh.ingest([folder])
    doc = fresh.documents()[0]
    assert fresh.search("second jobs applications approved", k=3)
    fresh.remove(doc.doc_id)
    assert fresh.documents() == [] and fresh.search("second jobs applications approved", k=3) == []
    assert fresh.index.vectors.count() == 0 and (folder / CAMBS_2012.name).exists()
