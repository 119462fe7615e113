"""Hybrid search with filters over the seed index, as an officer uses it."""
from __future__ import annotations

import pytest

from assistant import Assistant, HmiqaError
from index.records import Filters, Preferences


def test_vetting_for_cambridgeshire_since_2014(seeded):
    filters = seeded.filters(forces=["Cambridgeshire"], year_from=2014)
    passages = seeded.search("vetting", k=8, filters=filters)
    assert len(passages) == 8
    titles = {p.title for p in passages}
    assert titles <= {"Cambridgeshire Constabulary: integrity and corruption inspection 2014",
                      "Cambridgeshire PEEL 2018: Legitimacy"}
    assert all("vetting" in p.text.lower() for p in passages[:3])
    assert [p.rank for p in passages] == list(range(1, 9))


@pytest.mark.parametrize("retriever", ["bm25", "dense", "hybrid"])
def test_filters_apply_before_the_top_k_is_cut(seeded, retriever):
    """Hampshire is one report of five; a filtered search still fills k from it."""
    unfiltered = seeded.search("vetting backlog national policy", k=5, retriever=retriever)
    hants = seeded.search("vetting backlog national policy", k=5, retriever=retriever,
                          filters=seeded.filters(forces=["Hants"]))
    assert len(hants) == 5 and all(p.forces == ["Hampshire"] for p in hants)
    assert any(p.forces != ["Hampshire"] for p in unfiltered)


def test_year_range_programme_and_kind_filters(seeded):
    old = seeded.search("gifts and hospitality", k=10, filters=seeded.filters(year_to=2013))
    assert old and all(p.year <= 2013 for p in old)
    peel = seeded.search("stop and search", k=5, filters=seeded.filters(programmes=["PEEL legitimacy"]))
    assert peel and all(p.programme == "PEEL legitimacy" for p in peel)
    for retriever in ("dense", "bm25", "hybrid"):
        answers = seeded.search("recommendation", k=5, retriever=retriever, filters=seeded.filters(kinds=["response"]))
        assert answers and all(p.kind == "response" for p in answers), retriever


def test_exact_terms_are_found_by_bm25(seeded):
    p = seeded.search("Flagstone records", k=3, retriever="bm25")
    assert "Flagstone" in p[0].text


def test_paraphrase_is_found_by_dense(seeded):
    p = seeded.search("officers taking presents from businesses", k=5, retriever="dense")
    assert any("gift" in x.text.lower() for x in p)


def test_bad_requests_get_clear_errors(seeded):
    with pytest.raises(HmiqaError, match="empty"):
        seeded.search("   ")
    with pytest.raises(HmiqaError, match="unknown force 'Gotham'"):
        seeded.filters(forces=["Gotham"])
    with pytest.raises(HmiqaError, match="choose one of: hybrid, dense, bm25"):
        seeded.search("vetting", retriever="magic")
    with pytest.raises(HmiqaError, match="unknown programme .*use one of: PEEL legitimacy"):
        seeded.filters(programmes=["cheese"])
    with pytest.raises(HmiqaError, match="unknown kind .*news release"):
        seeded.filters(kinds=["gossip"])
    with pytest.raises(HmiqaError, match="empty"):
        seeded.filters(year_from=2020, year_to=2010)


def test_filter_that_matches_nothing_returns_nothing(seeded):
    assert seeded.search("vetting", filters=Filters(forces=["Kent"])) == []


def test_an_exact_filtered_dense_search_finds_what_chromas_filtered_query_finds(seeded):
    # a narrow filter is searched exactly over the stored vectors of the chunks it leaves; Chroma's
    # filtered query is approximate, so the two agree on the set and, but for near ties, the order
    from index.retrieve import DenseRetriever
    dense = DenseRetriever(seeded.index)
    vector = seeded.index.embedder.embed_query("vetting of officers and staff")
    for filters in (seeded.filters(forces=["Hampshire"]), seeded.filters(year_from=2018),
                    seeded.filters(forces=["Cambridgeshire"], year_to=2014)):
        exact = _exact(dense, vector, 8, filters)
        assert exact is not None and len(exact) == 8
        chroma = seeded.index.vectors.query(vector, 8, filters)
        assert {c for c, _ in exact} == {c for c, _ in chroma}, filters
        for (c, s), (_, t) in zip(exact, chroma, strict=True):
            assert abs(s - t) < 2e-3  # float16 vectors against Chroma's float32
        assert dense.ranked("vetting of officers and staff", 8, filters) == exact


def test_an_index_without_stored_chunk_vectors_searches_through_chroma_until_the_next_ingest(seeded_index, tmp_path):
    import shutil
    import sqlite3

    from index.retrieve import DenseRetriever
    path = tmp_path / "index"
    shutil.copytree(seeded_index, path)
    with sqlite3.connect(path / "catalog.sqlite") as db:  # as an index written before they were kept
        db.execute("DELETE FROM chunk_vectors")
    a = Assistant.open(path)
    try:
        dense, filters = DenseRetriever(a.index), a.filters(forces=["Hampshire"])
        vector = a.index.embedder.embed_query("gifts and hospitality")
        assert _exact(dense, vector, 5, filters) is None
        via_chroma = dense.ranked("gifts and hospitality", 5, filters)
        assert len(via_chroma) == 5
        report = a.ingest([])  # any ingest brings the index up to date
        assert report.upgraded == len(a.documents())
        assert [c for c, _ in _exact(dense, vector, 5, filters)] == [c for c, _ in via_chroma]
    finally:
        a.close()


def test_a_broad_filter_keeps_the_nearest_chunks_it_passes_without_chromas_filtered_query(seeded, monkeypatch):
    # a filter most of the corpus passes is searched as the unfiltered nearest, then masked: the same
    # chunks the filtered query gives, without its cost over a large corpus
    from index.retrieve import DenseRetriever
    dense = DenseRetriever(seeded.index)
    dense.exact_max = 0  # as if the filter left too many chunks for the exact pass
    filters = seeded.filters(year_from=2014)
    cols = seeded.index.columns()
    assert filters.mask(cols).mean() >= dense.broad
    vector = seeded.index.embedder.embed_query("vetting of officers and staff")
    want = seeded.index.vectors.query(vector, 8, filters)
    asked = []
    query = seeded.index.vectors.query
    monkeypatch.setattr(seeded.index.vectors, "query", lambda v, n, f: asked.append(f) or query(v, n, f))
    got = dense.ranked("vetting of officers and staff", 8, filters)
    assert [c for c, _ in got] == [c for c, _ in want] and asked and all(f is None for f in asked)
    # a middling share (one force of the seeds): more of the unfiltered nearest, the same chunks again
    middling = seeded.filters(forces=["Hampshire"])
    assert dense.broad <= middling.mask(cols).mean() < 0.5
    asked.clear()
    got = dense.ranked("vetting of officers and staff", 8, middling)
    assert [c for c, _ in got] == [c for c, _ in query(vector, 8, middling)] and all(f is None for f in asked)
    # allowed too few candidates for 8 of them to pass: Chroma's filtered query answers instead
    dense.broad_max = 10
    assert _broad(dense, vector, 8, middling) is None


def _exact(dense, vector, k, filters):
    cols = dense.index.columns()
    return dense._exact(vector, k, cols, filters.mask(cols))


def _broad(dense, vector, k, filters):
    cols = dense.index.columns()
    return dense._broad(vector, k, cols, filters.mask(cols))


def test_a_search_with_preferences_says_which_passages_meet_them(seeded):
    """What the question implies ranks and never removes: each passage says whether it meets the
    preferences and the force, as typed fields the answer policy reads; a plain search says nothing."""
    plain = seeded.search("gifts and hospitality register", k=8)
    assert all(p.meets_preferences is None and p.meets_force is None for p in plain)
    assert not {"consistent", "force_consistent"} & {k for p in plain for k in p.scores}
    preferred = seeded.search("gifts and hospitality register", k=8, prefer=Preferences(forces=["Hampshire"]))
    assert {p.meets_force for p in preferred} == {True, False}  # Hampshire's reports, and Cambridgeshire's
    for p in preferred:
        assert p.meets_force == ("Hampshire" in p.forces or not p.forces)
        assert p.meets_preferences == p.meets_force  # the force is the only preference


def test_dense_search_of_a_small_corpus_is_the_exact_nearest(seeded, monkeypatch):
    """Below exact_max chunks every dense search is exact (cosine over all stored chunk vectors), so a
    question ranks the same in every process; an approximate graph can miss a true neighbour."""
    import numpy as np

    from index.retrieve import DenseRetriever

    question = "How did the force deal with officers taking gifts from businesses?"
    ids = list(seeded.index.chunk_map().ids)
    assert len(ids) <= DenseRetriever.exact_max
    vectors = seeded.index.vectors.embeddings(ids)
    truth = np.argsort(-(vectors @ seeded.index.embedder.embed_query(question)), kind="stable")[:20]
    def approximate(*args, **kwargs):
        raise AssertionError("Chroma's approximate index was asked")
    monkeypatch.setattr(seeded.index.vectors, "query", approximate)
    got = [cid for cid, _ in DenseRetriever(seeded.index).ranked(question, 20)]
    assert set(got) == {ids[i] for i in truth}  # the order may differ where float16 storage ties two
