"""BM25 built from kept token ids scores exactly as bm25s's own index does, whole or incrementally."""
from __future__ import annotations

import bm25s
import pytest
import numpy as np

from index.bm25 import BM25Index, tokenize

QUERIES = ["vetting backlog since 2014", "gifts and hospitality register", "misuse of police systems",
           "counter-corruption unit capacity", "no such words anywhere"]


def _reference(chunks):
    ref = bm25s.BM25()
    ref.index(tokenize([c.indexed_text for c in chunks]), show_progress=False)
    return ref


def _scores(ref, query):
    tokens = [t for t in tokenize([query])[0] if t in ref.vocab_dict]
    return ref.get_scores(tokens) if tokens else np.zeros(ref.scores["num_docs"], dtype=np.float32)


def test_scores_equal_bm25s_own_index(seeded):
    chunks = sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id)
    ours, ref = BM25Index.build(chunks), _reference(chunks)
    for q in QUERIES:
        np.testing.assert_array_equal(ours.scores(q), _scores(ref, q))  # bit for bit
    assert ours.scores("vetting").max() > 0


def test_an_incremental_build_equals_a_whole_one(seeded, tmp_path):
    chunks = sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id)
    first_docs = {c.doc_id for c in chunks[:60]}
    half = BM25Index.build([c for c in chunks if c.doc_id in first_docs])
    half.save(tmp_path / "bm25")
    grown = BM25Index.build(chunks, previous=BM25Index.load(tmp_path / "bm25"))
    # and a document removed: its tokens are dropped, the rest reused
    shrunk = BM25Index.build([c for c in chunks if c.doc_id != chunks[0].doc_id], previous=grown)
    whole = BM25Index.build(chunks)
    whole_less = BM25Index.build([c for c in chunks if c.doc_id != chunks[0].doc_id])
    for q in QUERIES:
        np.testing.assert_array_equal(grown.scores(q), whole.scores(q))
        np.testing.assert_array_equal(shrunk.scores(q), whole_less.scores(q))


def test_the_postings_counted_a_block_at_a_time_equal_one_pass(seeded):
    # a large segment is counted in blocks of chunks to bound memory; blocks far smaller than the
    # seeds (a few chunks each, one chunk alone when it is longer than a block) give the same postings
    from index.bm25 import _postings
    index = BM25Index.build(sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id))
    (segment,) = index.segments
    lengths = np.diff(segment.offsets)
    whole = _postings(segment.tokens, lengths, len(index.vocab))
    for block in (1, 97, 5000):
        part = _postings(segment.tokens, lengths, len(index.vocab), block=block)
        for got, want in zip(part, whole, strict=True):
            np.testing.assert_array_equal(got, want)


def test_a_document_indexed_again_is_tokenised_again(seeded):
    # indexed again, a document keeps its chunk ids but may get another context line (a manifest's
    # title): its chunks are tokenised again, the others' tokens reused
    from dataclasses import replace
    chunks = sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id)
    doc = chunks[0].doc_id
    before = BM25Index.build(chunks)
    changed = [replace(c, context=c.context + " Zanzibar") if c.doc_id == doc else c for c in chunks]
    again = BM25Index.build(changed, previous=before, again={doc})
    reused = BM25Index.build(changed, previous=before)
    for q in QUERIES + ["Zanzibar"]:
        np.testing.assert_array_equal(again.scores(q), BM25Index.build(changed).scores(q))
    assert again.scores("Zanzibar").max() > 0 and reused.scores("Zanzibar").max() == 0


def _docs(seeded):
    chunks = sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id)
    return chunks, sorted({c.doc_id for c in chunks})


@pytest.mark.parametrize("factor", [4, 0])
def test_reports_added_one_at_a_time_score_as_one_index(seeded, tmp_path, monkeypatch, factor):
    # each report adds a segment, saved and read back as the next writer would; merged while the newest
    # is a quarter of the one before or more, or never (factor 0): then the scores come from five segments at once, idf and mean length over all of them
    import index.bm25 as bm25
    monkeypatch.setattr(bm25, "MERGE_FACTOR", factor)
    chunks, docs = _docs(seeded)
    path = tmp_path / "bm25"
    for n in range(1, len(docs) + 1):
        part = [c for c in chunks if c.doc_id in docs[:n]]
        grown = BM25Index.build(part, previous=BM25Index.load(path))
        grown.save(path)
    sizes = [len(s) for s in grown.segments]
    assert len(sizes) == len(docs) if factor == 0 else all(b * 4 < a for a, b in zip(sizes, sizes[1:]))
    assert len(list(path.glob("seg-*"))) == len(grown.segments)  # merged-away segments are gone
    whole = BM25Index.build(chunks)
    reread = BM25Index.from_ids([c.chunk_id for c in chunks], lambda ids: 1 / 0, BM25Index.load(path))
    for q in QUERIES:
        np.testing.assert_array_equal(grown.scores(q), whole.scores(q))
        np.testing.assert_array_equal(reread.scores(q), whole.scores(q))  # nothing tokenised again


def test_a_report_taken_out_then_back_in_another_version_scores_as_its_new_text(seeded, tmp_path, monkeypatch):
    # its old tokens stay in their segment, dead, and never come back: the new version is tokenised
    from dataclasses import replace
    import index.bm25 as bm25
    monkeypatch.setattr(bm25, "MERGE_FACTOR", 0)
    chunks, docs = _docs(seeded)
    path = tmp_path / "bm25"
    BM25Index.build(chunks).save(path)
    without = [c for c in chunks if c.doc_id != docs[1]]
    less = BM25Index.build(without, previous=BM25Index.load(path))
    less.save(path)
    changed = [replace(c, context=c.context + " Zanzibar") if c.doc_id == docs[1] else c for c in chunks]
    back = BM25Index.build(changed, previous=less)
    assert len(back.segments) == 2
    for q in QUERIES + ["Zanzibar"]:
        np.testing.assert_array_equal(less.scores(q), BM25Index.build(without).scores(q))
        np.testing.assert_array_equal(back.scores(q), BM25Index.build(changed).scores(q))
    assert back.scores("Zanzibar").max() > 0


def test_a_mostly_dead_segment_is_rewritten_without_its_dead_chunks(seeded):
    chunks, docs = _docs(seeded)
    whole = BM25Index.build(chunks)
    kept = [c for c in chunks if c.doc_id == docs[0]]
    assert len(kept) * 2 < len(chunks)
    shrunk = BM25Index.build(kept, previous=whole)
    (segment,) = shrunk.segments
    assert segment.chunk_ids == [c.chunk_id for c in kept] and (shrunk.rows[0] >= 0).all()
    for q in QUERIES:
        np.testing.assert_array_equal(shrunk.scores(q), BM25Index.build(kept).scores(q))


def test_a_format_1_index_is_read_as_one_segment_without_tokenising(seeded, tmp_path):
    # what earlier versions saved: bm25s's files, the chunk ids, every chunk's token ids, the vocabulary
    import json
    chunks, _ = _docs(seeded)
    index = BM25Index.build(chunks)
    (segment,) = index.segments
    old = tmp_path / "bm25"
    old.mkdir()
    (old / "chunk_ids.json").write_text(json.dumps(segment.chunk_ids))
    (old / "token_vocab.json").write_text(json.dumps(index.vocab))
    np.save(old / "tokens.npy", segment.tokens)
    np.save(old / "offsets.npy", segment.offsets)
    (old / "params.index.json").write_text("{}")
    read = BM25Index.from_ids([c.chunk_id for c in chunks], lambda ids: 1 / 0, BM25Index.load(old))
    for q in QUERIES:
        np.testing.assert_array_equal(read.scores(q), index.scores(q))
    read.save(old)
    assert sorted(p.name for p in old.iterdir() if not p.name.startswith("seg-")) == ["segments.json", "vocab.json"]
