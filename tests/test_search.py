"""Hybrid search with filters over the seed index, as an officer uses it."""
from __future__ import annotations

import pytest

from assistant import HmiqaError
from index.records import Filters


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
    with pytest.raises(HmiqaError, match="choose one of: dense, bm25, hybrid"):
        seeded.search("vetting", retriever="magic")
    with pytest.raises(HmiqaError, match="unknown programme .*use one of: PEEL legitimacy"):
        seeded.filters(programmes=["cheese"])
    with pytest.raises(HmiqaError, match="unknown kind .*news release"):
        seeded.filters(kinds=["gossip"])
    with pytest.raises(HmiqaError, match="empty"):
        seeded.filters(year_from=2020, year_to=2010)


def test_filter_that_matches_nothing_returns_nothing(seeded):
    assert seeded.search("vetting", filters=Filters(forces=["Kent"])) == []
