"""BM25 built from kept token ids scores exactly as bm25s's own index does, whole or incrementally."""
from __future__ import annotations

import bm25s
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
        np.testing.assert_allclose(ours.scores(q), _scores(ref, q), rtol=1e-6, atol=1e-6)
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


def test_the_matrix_counted_a_block_at_a_time_equals_one_pass(seeded):
    # a large corpus is counted in blocks of documents to bound memory; blocks far smaller than the
    # seeds (a few chunks each, one chunk alone when it is longer than a block) give the same matrix
    from index.bm25 import _lucene_matrix
    index = BM25Index.build(sorted(seeded.index.chunk_map().values(), key=lambda c: c.chunk_id))
    tokens, lengths = index.tokens, np.diff(index.offsets)
    used, tokens = np.unique(tokens, return_inverse=True)
    whole = _lucene_matrix(tokens, lengths, len(used), 1.5, 0.75)
    for block in (1, 97, 5000):
        part = _lucene_matrix(tokens, lengths, len(used), 1.5, 0.75, block=block)
        for key in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(part[key], whole[key])


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
