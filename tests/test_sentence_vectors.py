"""Sentence vectors stored at ingest: an answer embeds the question, not every sentence it might quote."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from assistant import Assistant
from ingest.chunk import quotable_spans

QUESTION = "What progress has been made on vetting since 2014?"


def test_ingest_stores_a_vector_for_every_sentence_an_answer_can_quote(seeded):
    chunks = list(seeded.index.chunk_map().values())
    stored = seeded.index.sentence_vectors([c.chunk_id for c in chunks])
    assert set(stored) == {c.chunk_id for c in chunks}
    for c in chunks:
        assert [tuple(s) for s in stored[c.chunk_id].spans.tolist()] == quotable_spans(c.text)
    # the stored vectors are the model's own vectors of those sentences (kept as float16)
    sample = [(c, tuple(stored[c.chunk_id].spans[0])) for c in chunks[::7] if len(stored[c.chunk_id].spans)]
    fresh = seeded.index.embedder.embed([c.text[s:e] for c, (s, e) in sample])
    kept = np.stack([stored[c.chunk_id].vectors[0].astype(np.float32) for c, _ in sample])
    assert len(sample) >= 10
    assert np.min(np.sum(fresh * kept, axis=1)) > 0.999


def test_an_answer_embeds_only_the_question(seeded, monkeypatch):
    seeded.follow_through()  # the findings tracker embeds the findings once per corpus, not per answer
    embedded: list[str] = []
    real = seeded.index.embedder.embed

    def spy(texts):
        embedded.extend(texts)
        return real(texts)

    monkeypatch.setattr(seeded.index.embedder, "embed", spy)
    answer = seeded.ask("How many vetting applications were outstanding in Hampshire?")
    assert answer.citations, answer.answer
    # the search query, the topic and the question, each once: never a report sentence
    assert len(embedded) == len(set(embedded)) <= 3, embedded
    quoted = {c.quote for c in answer.citations}
    assert not quoted & set(embedded)


def test_an_index_built_before_sentence_vectors_answers_the_same_and_ingest_upgrades_it(tmp_path, corpus):
    index = tmp_path / "index"
    a = Assistant.open(index)
    assert a.ingest([corpus]).ok
    before = a.ask(QUESTION)
    a.close()
    # what an older hmiqa left: the same catalog and vectors, no sentence vectors
    with sqlite3.connect(index / "catalog.sqlite") as db:
        db.execute("DELETE FROM sentences")
    old = Assistant.open(index)
    assert old.index.sentence_vectors(list(old.index.chunk_map())) == {}
    after = old.ask(QUESTION)
    assert after.answer == before.answer
    assert [c.quote for c in after.citations] == [c.quote for c in before.citations]
    report = old.ingest([corpus])
    assert report.upgraded == 2 and not report.added and len(report.skipped) == 2
    assert set(old.index.sentence_vectors(list(old.index.chunk_map()))) == set(old.index.chunk_map())
    old.close()


def test_removing_or_replacing_a_report_removes_its_sentence_vectors(tmp_path, corpus):
    a = Assistant.open(tmp_path / "index")
    assert a.ingest([corpus]).ok
    docs = {d.source: d.doc_id for d in a.documents()}
    first, second = sorted(docs)
    a.remove(docs[first])
    rows = sqlite3.connect(tmp_path / "index" / "catalog.sqlite").execute(
        "SELECT DISTINCT doc_id FROM sentences").fetchall()
    assert {r[0] for r in rows} == {docs[second]}
    Path(first).unlink()  # removed from the index, and from the folder so ingest does not add it back
    with open(second, "a") as f:
        f.write("\n\nThe force has since appointed a new head of its vetting unit, who started in 2016.\n")
    report = a.ingest([corpus])
    assert len(report.replaced) == 1
    new_id = {d.source: d.doc_id for d in a.documents()}[second]
    rows = sqlite3.connect(tmp_path / "index" / "catalog.sqlite").execute(
        "SELECT DISTINCT doc_id FROM sentences").fetchall()
    assert {r[0] for r in rows} == {new_id} != {docs[second]}
    a.close()


def test_a_report_is_searchable_and_answerable_before_its_sentence_vectors_are_stored(tmp_path, corpus, monkeypatch):
    """Ingest makes documents searchable first and embeds their quotable sentences after. Stopped in
    between, the reports answer all the same (the sentences embedded per answer), and the next ingest
    stores the vectors."""
    a = Assistant.open(tmp_path / "index")
    whole = a.ingest([corpus])
    assert whole.ok and 0 < whole.searchable_after < sum(whole.seconds.values()) and whole.seconds["sentences"] > 0
    expected = a.ask(QUESTION)
    a.close()

    b = Assistant.open(tmp_path / "other")
    real = b.index.add_missing_sentences
    monkeypatch.setattr(b.index, "add_missing_sentences", lambda: 0)  # the process stops after settle
    stopped = b.ingest([corpus])
    assert stopped.ok and len(stopped.added) == 2 and "sentences" in stopped.seconds
    chunk_ids = list(b.index.chunk_map())
    assert b.index.sentence_vectors(chunk_ids) == {}
    answer = b.ask(QUESTION)
    assert answer.answer == expected.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in expected.citations]

    monkeypatch.setattr(b.index, "add_missing_sentences", real)
    again = b.ingest([corpus])  # nothing new to read: upkeep stores what the stopped ingest lacked
    assert again.upgraded == 2 and not again.added
    assert set(b.index.sentence_vectors(chunk_ids)) == set(chunk_ids)
    assert b.ask(QUESTION).answer == expected.answer
    b.close()
