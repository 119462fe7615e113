"""BM25 segments shared through a real `chroma run`: what one process publishes another reads, whole,
without tokenising, and scores exactly as an index built in place."""
from __future__ import annotations

import numpy as np
import pytest

from index.bm25 import BM25Index
from index.bm25_shared import SharedSegments
from index.vectors import http_client

from .helpers import start_chroma
from .test_bm25 import QUERIES, _docs

pytestmark = pytest.mark.server


@pytest.fixture
def shared(tmp_path):
    proc, port = start_chroma(tmp_path)
    yield lambda: SharedSegments(http_client("127.0.0.1", port))
    proc.terminate()
    proc.wait(timeout=20)


def _published(writer, chunks, folder, previous=None) -> BM25Index:
    """What a writer does: build (on `previous`), save under its folder, publish."""
    index = BM25Index.build(chunks, previous=previous)
    index.save(folder)
    writer.publish(index)
    return index


def _never(ids):
    raise AssertionError(f"tokenised {len(ids)} chunks")


def test_a_published_snapshot_is_read_by_another_process_without_tokenising(seeded, shared, tmp_path, monkeypatch):
    import index.bm25 as bm25
    monkeypatch.setattr(bm25, "MERGE_FACTOR", 0)  # keep the report's own segment
    chunks, docs = _docs(seeded)
    first = [c for c in chunks if c.doc_id != docs[-1]]
    writer, reader = shared(), shared()
    assert reader.fetch(tmp_path / "reader") is None  # nothing published yet

    built = _published(writer, first, tmp_path / "writer")
    got = reader.fetch(tmp_path / "reader")
    ids = [c.chunk_id for c in first]
    read = BM25Index.from_ids(ids, _never, got)
    for q in QUERIES:
        np.testing.assert_array_equal(read.scores(q), built.scores(q))

    # a report added by the writer: one more segment and the words it brought; the reader fetches only it
    grown = _published(writer, chunks, tmp_path / "writer", previous=BM25Index.load(tmp_path / "writer"))
    assert len(grown.segments) == 2 and len(grown.vocab) > len(built.vocab)
    kept = (tmp_path / "reader" / grown.segments[0].name / "tf.npy").stat().st_mtime_ns
    again = BM25Index.from_ids([c.chunk_id for c in chunks], _never, reader.fetch(tmp_path / "reader"))
    assert (tmp_path / "reader" / grown.segments[0].name / "tf.npy").stat().st_mtime_ns == kept
    for q in QUERIES:
        np.testing.assert_array_equal(again.scores(q), BM25Index.build(chunks).scores(q))


def test_merged_away_segments_leave_the_server(seeded, shared, tmp_path):
    chunks, docs = _docs(seeded)
    writer = shared()
    _published(writer, [c for c in chunks if c.doc_id == docs[0]], tmp_path / "w")
    # far bigger than the first: merged with it into one
    merged = _published(writer, chunks, tmp_path / "w", previous=BM25Index.load(tmp_path / "w"))
    (segment,) = merged.segments
    _, metas = writer._all()
    assert {m["segment"] for m in metas if m["kind"] == "segment"} == {segment.name}


def test_a_writer_not_built_on_the_snapshot_replaces_it_whole(seeded, shared, tmp_path):
    # its token ids are its own: publishing its segments over another vocabulary would corrupt both
    chunks, docs = _docs(seeded)
    writer = shared()
    _published(writer, [c for c in chunks if c.doc_id == docs[0]], tmp_path / "a")
    other = _published(writer, [c for c in chunks if c.doc_id != docs[0]], tmp_path / "b")  # other token ids
    got = BM25Index.from_ids([c.chunk_id for c in chunks if c.doc_id != docs[0]], _never, writer.fetch(tmp_path / "c"))
    for q in QUERIES:
        np.testing.assert_array_equal(got.scores(q), other.scores(q))


def test_the_vocabulary_a_report_at_a_time_is_gathered_into_one_record(seeded, shared, tmp_path, monkeypatch):
    import index.bm25_shared as bm25_shared
    monkeypatch.setattr(bm25_shared, "VOCAB_RECORDS", 2)
    chunks, docs = _docs(seeded)
    writer, folder = shared(), tmp_path / "w"
    for n in range(1, len(docs) + 1):
        grown = _published(writer, [c for c in chunks if c.doc_id in docs[:n]], folder, previous=BM25Index.load(folder))
        assert len(writer.manifest()["vocab"]) <= 2
    got = BM25Index.from_ids([c.chunk_id for c in chunks], _never, writer.fetch(tmp_path / "r"))
    for q in QUERIES:
        np.testing.assert_array_equal(got.scores(q), grown.scores(q))
    _, metas = writer._all()
    assert sum(m["kind"] == "vocab" for m in metas) == len(writer.manifest()["vocab"])  # the rest deleted


def test_an_index_never_saved_locally_is_published_under_names_it_is_given(seeded, shared, tmp_path):
    chunks, _ = _docs(seeded)
    writer = shared()
    index = BM25Index.build(chunks)
    writer.publish(index)
    assert all(s["name"] and s["name"] == seg.name for s, seg in zip(writer.manifest()["segments"], index.segments))
    got = BM25Index.from_ids([c.chunk_id for c in chunks], _never, writer.fetch(tmp_path / "r"))
    for q in QUERIES:
        np.testing.assert_array_equal(got.scores(q), index.scores(q))
