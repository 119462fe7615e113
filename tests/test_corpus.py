"""The corpus readers see holds chunk ids, not chunk records: a search reads from the catalog only the
passages it returns, filter columns come from the documents' records, and a document a writer takes out
stays readable until the new corpus is swapped in."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant import Assistant
from index.filters import UNKNOWN_YEAR, Columns
from index.retrieve import _top

from .conftest import ROOT


def _count_reads(assistant: Assistant) -> list[str]:
    read: list[str] = []
    catalog = assistant.index.catalog
    original = catalog.chunks_by_id

    def counting(ids):
        read.extend(ids)
        return original(ids)

    catalog.chunks_by_id = counting
    return read


def test_a_search_reads_only_the_passages_it_returns(seeded_index):
    a = Assistant.open(seeded_index)
    try:
        read = _count_reads(a)  # a new reader: no chunk read yet
        passages = a.search("What progress has been made on vetting since 2014?", k=5)
        assert len(passages) == 5 and len(a.index.chunk_map()) > 100
        assert sorted(read) == sorted(p.chunk_id for p in passages), read
        assert not a.index.chunk_map().kept
    finally:
        a.close()


def _columns_from_records(chunks) -> dict:
    rows = list(chunks.values())
    return {"year": [c.year if c.year is not None else UNKNOWN_YEAR for c in rows],
            "programme": [c.programme or "" for c in rows], "kind": [c.kind or "" for c in rows],
            "doc_id": [c.doc_id for c in rows], "n_forces": [len(c.forces) for c in rows],
            "forces": sorted({f for c in rows for f in c.forces})}


def _check_columns(assistant: Assistant) -> None:
    chunks = assistant.index.chunk_map()
    cols = Columns.build(chunks.ids, assistant.index._headers, chunks.positions())
    want = _columns_from_records(chunks)
    for name in ("year", "programme", "kind", "doc_id", "n_forces"):
        assert list(getattr(cols, name)) == want[name], name
    assert sorted(cols.forces) == want["forces"]
    for force in want["forces"]:
        assert list(cols.force(force)) == [force in c.forces for c in chunks.values()]
    assert list(cols.rows(chunks.ids[:3])) == [0, 1, 2]


def test_filter_columns_from_document_records_equal_those_of_every_chunk_record(seeded):
    _check_columns(seeded)


def test_filter_columns_equal_chunk_records_on_realdev(tmp_path):
    corpus = ROOT.parent / "shared" / "realdev" / "corpus"
    if not corpus.exists():
        pytest.skip("../shared/realdev is absent (a fresh clone); CI has it")
    a = Assistant.open(tmp_path / "index")
    try:
        assert a.ingest([corpus]).ok
        _check_columns(a)
    finally:
        a.close()


def test_top_k_is_a_stable_sort_of_the_scores():
    rng = np.random.default_rng(3)
    for _ in range(500):
        n = int(rng.integers(1, 80))
        scores = rng.integers(0, 4, n).astype(float)  # many ties, as boilerplate chunks give
        scores[rng.random(n) < 0.3] = -np.inf  # filtered out
        k = int(rng.integers(1, 90))
        assert list(_top(scores, k)) == list(np.argsort(-scores, kind="stable")[:k])


def test_a_documents_chunks_come_in_order(seeded):
    chunks = seeded.index.chunk_map()
    doc_id = chunks.ids[0].rpartition(":")[0]
    mine = chunks.of_document(doc_id)
    assert [c.chunk_id for c in mine] == [c for c in chunks.ids if c.startswith(doc_id + ":")]
    assert [c.ordinal for c in mine] == list(range(len(mine)))
    assert chunks.of_document("no-such-document") == []


def test_a_removed_document_stays_readable_until_the_new_corpus_is_swapped_in(seeded_index, tmp_path):
    path = tmp_path / "index"
    shutil.copytree(seeded_index, path)
    a = Assistant.open(path)
    try:
        before = a.index.chunk_map()
        doc_id = before.ids[0].rpartition(":")[0]
        first = before[before.ids[0]]
        a.index.remove([doc_id])  # the catalog forgets it now; readers still use `before`
        assert a.index.catalog.chunks_by_id([first.chunk_id]) == {}
        assert before[first.chunk_id] == first
        a.index.settle()
        after = a.index.chunk_map()
        assert after is not before and first.chunk_id not in after
        assert not any(p.doc_id == doc_id for p in a.search("vetting", k=20))
    finally:
        a.close()


def test_warm_up_loads_the_model_and_the_corpus_and_works_on_an_empty_index(fresh, seeded_index):
    fresh.warm_up()  # nothing indexed: no graph to read, no question asked
    assert len(fresh.index.chunk_map()) == 0
    a = Assistant.open(seeded_index)
    a.warm_up()
    assert a.index._bm25_loaded and a.index._chunks is not None and "model" in vars(a.index.embedder)


def test_settle_patches_the_chunk_ids_readers_use_and_they_match_the_catalog(fresh, corpus, monkeypatch):
    """After each write this process makes, the chunk ids readers search are those the catalog holds
    ready, derived from the ids before and the documents changed, not read again whole."""
    from .conftest import CAMBS_2014, HANTS_2014

    assert fresh.ingest([corpus]).ok
    fresh.search("vetting")  # readers hold a corpus now
    reads = []
    real = fresh.index.catalog.chunk_ids
    monkeypatch.setattr(fresh.index.catalog, "chunk_ids", lambda: reads.append(1) or real())

    def check():
        assert fresh.index.chunk_map().ids == real()
        assert not reads, "the ids were read whole"

    shutil.copy(CAMBS_2014, corpus / CAMBS_2014.name)
    shutil.copy(HANTS_2014, corpus / HANTS_2014.name)
    assert len(fresh.ingest([corpus]).added) == 2
    check()
    cambs = next(d for d in fresh.documents() if d.source.endswith(CAMBS_2014.name))
    fresh.remove(cambs.doc_id)
    check()
    edited = corpus / HANTS_2014.name  # a new version: its old chunks out, the new ones in
    edited.write_text(edited.read_text() + "\n\nA paragraph added in a later version of this report.\n")
    assert len(fresh.ingest([corpus]).replaced) == 1
    check()
    hits = fresh.search("paragraph added in a later version", k=3)
    assert any("added in a later version" in h.text for h in hits)
