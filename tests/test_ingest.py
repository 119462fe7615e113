"""The ingest pipeline: idempotent, replaces changed files, survives bad files and crashes."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from assistant import Assistant
from assistant.settings import Settings as HmiqaSettings

from .conftest import CAMBS_2012, HANTS_2014, ROOT


def test_second_ingest_adds_nothing(seeded_index):
    assistant = Assistant.open(seeded_index)
    before = (assistant.stats()["chunks"], assistant.index.vectors.count())
    report = assistant.ingest([ROOT / "data" / "reports"])
    assert report.added == [] and report.replaced == [] and len(report.skipped) == 5
    assert (assistant.stats()["chunks"], assistant.index.vectors.count()) == before
    assert report.chunks_added == 0


def test_changed_file_replaces_its_chunks(fresh, corpus):
    fresh.ingest([corpus])
    path = corpus / CAMBS_2012.name
    old = next(d for d in fresh.documents() if d.source == str(path.resolve()))
    path.write_text(path.read_text() + "\n\nAddendum\n\nThe force appointed a zebra-crossing integrity champion in 2013.\n")
    report = fresh.ingest([corpus])
    assert report.replaced == [str(path.resolve())] and len(report.skipped) == 1
    docs = fresh.documents()
    assert len(docs) == 2 and old.doc_id not in {d.doc_id for d in docs}
    assert old.doc_id not in fresh.index.vectors.doc_ids()
    assert fresh.index.vectors.count() == len(fresh.index.chunk_map())
    hit = fresh.search("zebra-crossing integrity champion", k=1)[0]
    assert "zebra-crossing" in hit.text and hit.doc_id != old.doc_id


def test_bad_files_are_named_and_the_good_ones_ingested(fresh, corpus):
    from fpdf import FPDF

    (corpus / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf\n%%EOF")
    (corpus / "scan.bin.txt").write_bytes(bytes(range(256)) * 40)
    (corpus / "empty.txt").write_text("")
    (corpus / "latin1.txt").write_bytes(
        "Kent Police integrity inspection\n\nGifts worth more than £50 must be declared to the café "
        "owner’s liaison officer.\n".encode("cp1252"))
    (corpus / "slides.pptx").write_bytes(b"PK\x03\x04 not supported")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Durham Constabulary vetting inspection. The force has cleared its vetting backlog.")
    pdf.output(str(corpus / "durham.pdf"))

    report = fresh.ingest([corpus])
    failed = {f.path.rsplit("/", 1)[-1]: f.reason for f in report.failed}
    assert set(failed) == {"corrupt.pdf", "scan.bin.txt", "empty.txt", "slides.pptx"}
    assert "corrupt" in failed["corrupt.pdf"]
    assert "binary" in failed["scan.bin.txt"]
    assert "empty" in failed["empty.txt"]
    assert "unsupported file type '.pptx'" in failed["slides.pptx"]
    assert len(report.added) == 4  # two seeds, the Latin-1 text and the PDF
    assert any("Windows-1252" in w for w in report.warnings)
    latin = next(d for d in fresh.documents() if d.source.endswith("latin1.txt"))
    assert "£50" in latin.text and "café" in latin.text and latin.forces == ["Kent"]
    durham = next(d for d in fresh.documents() if d.source.endswith("durham.pdf"))
    assert durham.forces == ["Durham"] and durham.pages == [0]


def test_cli_exit_code_says_whether_anything_failed(tmp_path, corpus):
    cli = [sys.executable, "-m", "cli", "ingest", str(corpus), "--index", str(tmp_path / "i")]
    ok = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "2 added" in ok.stdout
    assert re.search(r"^time: .*embed [\d.]+ s", ok.stderr, re.M) and "read" in ok.stderr, ok.stderr  # where it went
    (corpus / "empty.md").write_text("   \n")
    bad = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert "empty.md: the file is empty" in bad.stderr and "2 unchanged" in bad.stdout


def test_interrupted_ingest_leaves_no_half_indexed_document(tmp_path, corpus, monkeypatch):
    index_dir = tmp_path / "index"
    assistant = Assistant.open(index_dir)
    from index.vectors import VectorStore

    real_add = VectorStore.add

    def crash_half_way(self, chunks, vectors, batch=1000):
        real_add(self, chunks[: len(chunks) // 2], vectors[: len(chunks) // 2])
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(VectorStore, "add", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        assistant.ingest([corpus])
    monkeypatch.setattr(VectorStore, "add", real_add)

    reopened = Assistant.open(index_dir)
    assert reopened.documents() == []
    assert reopened.search("gifts and hospitality", k=5) == []
    report = reopened.ingest([corpus])
    assert report.repaired and len(report.added) == 2
    assert reopened.index.vectors.count() == len(reopened.index.chunk_map())


def test_prune_drops_documents_whose_files_are_gone(fresh, corpus):
    shutil.copy(HANTS_2014, corpus / HANTS_2014.name)
    fresh.ingest([corpus])
    (corpus / HANTS_2014.name).unlink()
    assert len(fresh.ingest([corpus]).pruned) == 0  # without --prune nothing is dropped
    report = fresh.ingest([corpus], prune=True)
    assert report.pruned == [str((corpus / HANTS_2014.name).resolve())]
    assert all("Hampshire" not in d.forces for d in fresh.documents())
    assert fresh.search("Hampshire", k=5, filters=fresh.filters(forces=["Hampshire"])) == []


def test_missing_path_is_reported(fresh, tmp_path):
    report = fresh.ingest([tmp_path / "nope"])
    assert not report.ok and report.failed[0].reason == "no such file or folder"


def test_same_report_at_two_paths_is_indexed_once(fresh, corpus):
    shutil.copy(CAMBS_2012, corpus / "copy-of-2012.txt")
    report = fresh.ingest([corpus])
    assert len(report.added) == 2 and any("same text as" in w for w in report.warnings)
    assert len(fresh.documents()) == 2


def test_an_index_built_before_programme_and_kind_is_migrated_on_open(tmp_path):
    """Pipeline version 1 stored `report_type`; opening such an index gives every document and vector
    a programme and kind, so filters work without re-embedding anything."""
    import json
    import sqlite3

    from assistant import Assistant

    from .conftest import RESPONSE
    a = Assistant.open(tmp_path / "idx")
    assert a.ingest([RESPONSE]).ok
    n_vectors = a.index.vectors.count()
    a.close()
    db = sqlite3.connect(str(tmp_path / "idx" / "catalog.sqlite"))
    for table, key in (("documents", "doc_id"), ("chunks", "chunk_id")):
        for ident, data in db.execute(f"SELECT {key}, data FROM {table}").fetchall():
            d = json.loads(data)
            d.pop("programme"), d.pop("kind")
            d["report_type"] = "force response to recommendations"
            db.execute(f"UPDATE {table} SET data=? WHERE {key}=?", (json.dumps(d), ident))
    db.execute("DELETE FROM headers")  # kept apart from the text since; a version-1 catalog has none
    db.commit()
    db.close()
    import chromadb
    from chromadb.config import Settings
    client = chromadb.PersistentClient(str(tmp_path / "idx" / "chroma"), settings=Settings(anonymized_telemetry=False))
    col = client.get_collection("hmiqa_chunks")
    got = col.get(include=["metadatas"])
    col.update(ids=got["ids"], metadatas=[{k: v for k, v in m.items() if k not in ("programme", "kind")}
                                          | {"report_type": "force response to recommendations"}
                                          for m in got["metadatas"]])
    del client

    a = Assistant.open(tmp_path / "idx")
    assert a.index.migrated and a.index.vectors.count() == n_vectors
    doc = a.documents()[0]
    assert (doc.programme, doc.kind) == ("police relationships", "response")
    for retriever in ("dense", "bm25"):
        hits = a.search("recommendation", retriever=retriever, filters=a.filters(kinds=["response"]))
        assert hits and all(p.kind == "response" for p in hits), retriever
    a.close()
    assert not Assistant.open(tmp_path / "idx").index.migrated, "migrated once"


def test_upload_says_what_became_of_each_report(fresh):
    """The typed result the API and the app show: added, unchanged, duplicate of another file, failed
    (the index as it was), and refused before anything is touched."""
    from assistant.uploads import UploadRejected

    text = CAMBS_2012.read_bytes()
    first = fresh.upload("cambs.txt", text)
    assert first.status == "added" and first.document is not None and first.document.forces == ["Cambridgeshire"]
    again = fresh.upload("cambs.txt", text)
    assert again.status == "unchanged" and again.document.doc_id == first.document.doc_id
    copy = fresh.upload("copy-of-cambs.txt", text)
    assert copy.status == "duplicate" and copy.duplicate_of == str(first.path.resolve()) and copy.document is None
    broken = fresh.upload("broken.pdf", b"%PDF-1.4 this is not a PDF")
    assert broken.status == "failed" and broken.reason and broken.document is None
    with pytest.raises(UploadRejected, match="not supported"):
        fresh.upload("notes.exe", b"MZ")
    assert [d.doc_id for d in fresh.documents()] == [first.document.doc_id]
    assert fresh.stats()["chunks"] == first.document.n_chunks


def test_utf16_text_links_to_nothing_and_folders_named_like_files_are_handled(fresh, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    body = ("Hampshire Constabulary: vetting revisit 2016\n\nThe force has cleared its vetting backlog "
            "and now re-vets officers in sensitive posts every five years.\n")
    (folder / "windows-unicode.txt").write_bytes(body.encode("utf-16"))  # what Notepad's "Unicode" saves
    (folder / "gone.pdf").symlink_to(tmp_path / "deleted.pdf")
    named = tmp_path / "annex.pdf"  # a folder, though its name says PDF
    named.mkdir()
    (named / "note.md").write_text("# Annex\n\nThe annex lists the forty officers re-vetted in 2016.\n")
    report = fresh.ingest([folder, named])
    assert any(s.endswith("windows-unicode.txt") for s in report.added), report.to_dict()
    assert [(f.path, f.reason) for f in report.failed] == [
        (str(folder / "gone.pdf"), f"a link to {tmp_path / 'deleted.pdf'}, which does not exist")]
    assert any("annex.pdf: a folder, not a .pdf file" in w for w in report.warnings)
    assert any(s.endswith("note.md") for s in report.added)
    answer = fresh.ask("How often are officers in sensitive posts re-vetted?")
    assert "every five years" in " ".join(c.quote for c in answer.citations)


def test_a_document_over_the_text_budget_is_refused_with_a_reason(tmp_path, corpus):
    a = Assistant.open(tmp_path / "index", max_document_mb=0.01)  # 10 KB: the Cambridgeshire 2012 report is 7.5 KB
    big = corpus / "big.txt"
    big.write_text("Kent Police: data audit 2018\n\n" + "The force audited its crime records again this month. " * 400)
    report = a.ingest([corpus])
    assert [f.path for f in report.failed] == [str(big)]
    assert "MB of text after cleaning, over the 0.01 MB a document may have" in report.failed[0].reason
    assert len(report.added) == 2  # the others are ingested
    a.close()


def test_documents_embedded_together_get_the_vectors_each_would_alone(fresh, corpus):
    # a folder's documents share one encoder call (its batches fuller); each chunk's vector is the one
    # its document alone gives, up to float rounding
    import numpy as np
    from ingest.chunk import chunk_document
    from ingest.pipeline import build_document, file_hash
    report = fresh.ingest([corpus])
    assert len(report.added) == 2 and report.seconds["embed"] > 0
    for path in sorted(corpus.iterdir()):
        doc, cleaned = build_document(path, file_hash(path))
        embedder = fresh.index.embedder
        chunks = chunk_document(doc, cleaned, embedder.count_tokens, max_tokens=HmiqaSettings.defaults().chunk_tokens,
                                window=embedder.window)
        alone = embedder.embed([c.indexed_text for c in chunks])
        stored = fresh.index.catalog.chunk_vectors([doc.doc_id], alone.shape[1])[doc.doc_id]
        np.testing.assert_allclose(stored.astype(np.float32), alone, atol=2e-3)  # stored as float16


def test_a_document_the_encoder_fails_on_fails_alone(fresh, corpus, monkeypatch):
    # Fake, and said so: no real input makes the bundled encoder raise, so one is made to for texts of
    # one report. The group's shared call fails; each document is embedded alone, and only that one fails.
    embedder = fresh.index.embedder
    real = embedder.embed

    def embed(texts):
        if any("Revisiting police relationships" in t for t in texts):
            raise RuntimeError("the encoder failed on this input")
        return real(texts)

    monkeypatch.setattr(embedder, "embed", embed)
    report = fresh.ingest([corpus])
    assert len(report.added) == 1 and len(report.failed) == 1
    assert "the encoder failed" in report.failed[0].reason
    assert len(fresh.documents()) == 1
