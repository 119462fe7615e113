"""Chunk invariants on the real seed index: exact spans, one section each, within the model window."""
from __future__ import annotations

import re


def test_every_chunk_is_the_exact_text_at_its_span(seeded):
    for doc in seeded.documents():
        full = seeded.document(doc.doc_id)
        chunks = seeded.index.catalog.chunks(doc.doc_id)
        assert chunks, doc.title
        for c in chunks:
            assert full.text[c.start:c.end] == c.text


def test_no_chunk_crosses_a_section(seeded):
    for doc in seeded.documents():
        full = seeded.document(doc.doc_id)
        starts = [s.start for s in full.sections]
        for c in seeded.index.catalog.chunks(doc.doc_id):
            assert not any(c.start < s < c.end for s in starts), (c.chunk_id, c.section)
            if c.section:
                sec = max((s for s in full.sections if s.path == c.section and s.start <= c.start),
                          key=lambda s: s.start)
                assert c.end <= sec.end


def test_chunks_fit_the_embedding_window(seeded):
    embedder = seeded.index.embedder
    for c in seeded.index.chunk_map().values():
        assert embedder.count_tokens(c.indexed_text) + 2 <= embedder.window, c.chunk_id


def test_chunks_end_on_a_sentence_or_block_boundary(seeded):
    for doc in seeded.documents():
        text = seeded.document(doc.doc_id).text
        for c in seeded.index.catalog.chunks(doc.doc_id):
            after = text[c.end:c.end + 1]
            assert after in ("", "\n", " "), c.chunk_id
            if after == " ":
                assert re.search(r"[.!?][\"'”’)]*$", c.text), c.text[-60:]


def test_chunks_carry_heading_path_pages_and_context(seeded):
    chunks = list(seeded.index.chunk_map().values())
    vetting = [c for c in chunks if "Vetting arrangements do not fully comply" in c.text]
    assert len(vetting) == 1
    c = vetting[0]
    assert c.section == "How well does the force prevent, identify and investigate corruption? › Corruption investigation"
    assert c.page_start and c.page_end and c.page_start <= c.page_end
    assert c.context.startswith("Cambridgeshire · 2014 · Cambridgeshire Constabulary: integrity and corruption "
                                "inspection 2014 · How well")
    assert c.indexed_text == c.context + "\n" + c.text


def test_an_unpunctuated_run_is_cut_in_time_that_grows_with_its_length(seeded):
    """A table or minified page extracts as one enormous "sentence". Cutting it must cost work in
    proportion to its length: counted in tokenizer characters read, not seconds."""
    from ingest.chunk import _split_long

    count_tokens = seeded.index.embedder.count_tokens
    read = []

    def counting(text: str) -> int:
        read.append(len(text))
        return count_tokens(text)

    work = {}
    for size in (50_000, 200_000):
        words = " ".join(f"cell{i % 97} value{i % 89}" for i in range(size // 20))[:size]
        read.clear()
        pieces = _split_long(words, 0, len(words), 180, counting)
        work[size] = sum(read)
        assert pieces[0][0] == 0 and pieces[-1][1] == len(words)
        assert all(b <= c for (_, b), (c, _) in zip(pieces, pieces[1:]))
        assert all(count_tokens(words[a:b]) <= 180 for a, b in pieces)
        assert all(not words[a:b].startswith(" ") and not words[a:b].endswith(" ") for a, b in pieces)
    # four times the text, about four times the reading (the old cut read the rest of the run at every
    # step of a binary search: sixteen times and more)
    assert work[200_000] < 6 * work[50_000], work
