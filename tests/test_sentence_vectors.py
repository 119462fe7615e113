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
    report = old.ingest([corpus])  # nothing new to read: the sentence vectors follow in the background
    assert not report.added and len(report.skipped) == 2
    assert old.wait(timeout=120)
    assert set(old.index.sentence_vectors(list(old.index.chunk_map()))) == set(old.index.chunk_map())
    old.close()


def test_removing_or_replacing_a_report_removes_its_sentence_vectors(tmp_path, corpus):
    a = Assistant.open(tmp_path / "index")
    assert a.ingest([corpus]).ok and a.wait(timeout=120)
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
    assert len(report.replaced) == 1 and a.wait(timeout=120)
    new_id = {d.source: d.doc_id for d in a.documents()}[second]
    rows = sqlite3.connect(tmp_path / "index" / "catalog.sqlite").execute(
        "SELECT DISTINCT doc_id FROM sentences").fetchall()
    assert {r[0] for r in rows} == {new_id} != {docs[second]}
    a.close()


def test_a_report_is_searchable_and_answerable_before_its_sentence_vectors_are_stored(tmp_path, corpus, monkeypatch):
    """Ingest returns once the documents are searchable; their quotable sentences are embedded after,
    on the backfill's thread. Held back (or stopped, as a process that exits), the reports answer all
    the same (the sentences embedded per answer), and the next ingest stores the vectors."""
    import threading
    a = Assistant.open(tmp_path / "index")
    whole = a.ingest([corpus])
    assert whole.ok and whole.sentences_later and 0 < whole.searchable_after <= sum(whole.seconds.values()) + 1
    assert "sentences" not in whole.seconds  # not waited for
    assert a.wait(timeout=120)
    assert set(a.index.sentence_vectors(list(a.index.chunk_map()))) == set(a.index.chunk_map())
    expected = a.ask(QUESTION)
    a.close()

    b = Assistant.open(tmp_path / "other")
    gate, reached = threading.Event(), threading.Event()
    real = b.index.add_sentences

    def held(doc_ids, budget=None):  # the real add_sentences, held at a gate: a slow encoder made visible
        reached.set()
        assert gate.wait(120)
        return real(doc_ids, budget)

    monkeypatch.setattr(b.index, "add_sentences", held)
    stopped = b.ingest([corpus])
    assert stopped.ok and len(stopped.added) == 2  # returned with the backfill held back
    assert reached.wait(60)
    chunk_ids = list(b.index.chunk_map())
    assert b.index.sentence_vectors(chunk_ids) == {}
    answer = b.ask(QUESTION)  # a reader goes on while the backfill holds the writer lock
    assert answer.answer == expected.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in expected.citations]
    assert b.search("vetting") and not b.wait(timeout=0.1)
    gate.set()
    assert b.wait(timeout=120)
    assert set(b.index.sentence_vectors(chunk_ids)) == set(chunk_ids)
    assert b.ask(QUESTION).answer == expected.answer
    b.close()


def test_what_a_stopped_backfill_left_is_stored_after_the_next_ingest(tmp_path, corpus, monkeypatch):
    from index.store import Index
    monkeypatch.setattr(Index, "SENTENCE_GROUP", 8)  # several groups for two reports
    a = Assistant.open(tmp_path / "index")
    groups = []
    real = a.index.add_sentences

    def counted(doc_ids, budget=None):  # the real add_sentences, counted; close(wait=False) lands mid-group
        groups.append(len(doc_ids))
        if len(groups) == 1:
            a._backfill.stop()  # as close(wait=False) while the first group is stored
        return real(doc_ids, budget)

    monkeypatch.setattr(a.index, "add_sentences", counted)
    assert a.ingest([corpus]).ok
    assert a.wait(timeout=120) and groups == [2]  # the group being stored finished; no other began
    chunk_ids = list(a.index.chunk_map())
    stored = set(a.index.sentence_vectors(chunk_ids))
    assert 8 <= len(stored) < len(chunk_ids)
    a.close()

    b = Assistant.open(tmp_path / "index")
    b.ingest([corpus])  # nothing new, yet it finds what was left
    assert b.wait(timeout=120)
    assert set(b.index.sentence_vectors(chunk_ids)) == set(chunk_ids)
    b.close()


def test_a_write_waiting_in_the_process_goes_before_the_backfills_next_group(tmp_path, corpus, monkeypatch):
    """The backfill holds the writer lock one group at a time and lets a waiting write in between:
    a removal waits at most for the group being stored, and the removed report gets no vectors after."""
    import threading
    from index.store import Index
    monkeypatch.setattr(Index, "SENTENCE_GROUP", 8)
    a = Assistant.open(tmp_path / "index")
    events, gate, first = [], threading.Event(), threading.Event()
    real = a.index.add_sentences

    def logged(doc_ids, budget=None):  # the real add_sentences, logged and held in its first group
        events.append(("group", tuple(doc_ids)))
        if len(events) == 1:
            first.set()
            assert gate.wait(120)
        return real(doc_ids, budget)

    monkeypatch.setattr(a.index, "add_sentences", logged)
    assert a.ingest([corpus]).ok
    assert first.wait(60)
    docs = sorted(d.doc_id for d in a.documents())
    remover = threading.Thread(target=lambda: events.append(("removed", a.remove(docs[1]).doc_id)))
    remover.start()
    gate.set()  # the first group finishes; the removal goes next, then the rest of the backfill
    remover.join(120)
    assert a.wait(timeout=120)
    assert events[0][0] == "group" and events[1] == ("removed", docs[1]) and len(events) >= 3, events
    rows = sqlite3.connect(tmp_path / "index" / "catalog.sqlite").execute(
        "SELECT DISTINCT doc_id FROM sentences").fetchall()
    assert {r[0] for r in rows} == {docs[0]}
    kept = [c for c in a.index.chunk_map()]
    assert set(a.index.sentence_vectors(kept)) == set(kept)
    a.close()


def test_a_backfill_that_fails_is_logged_answers_stay_the_same_and_the_next_ingest_retries(
        tmp_path, corpus, monkeypatch, caplog):
    a = Assistant.open(tmp_path / "index")

    def broken(doc_ids, budget=None):  # fake, and said so: a full disk cannot be arranged for one thread here
        raise OSError(28, "No space left on device")

    real = a.index.add_sentences
    monkeypatch.setattr(a.index, "add_sentences", broken)
    with caplog.at_level("WARNING", logger="hmiqa"):
        assert a.ingest([corpus]).ok
        assert a.wait(timeout=120)
    assert "No space left on device" in caplog.text and "next ingest" in caplog.text
    chunk_ids = list(a.index.chunk_map())
    assert a.index.sentence_vectors(chunk_ids) == {}
    before = a.ask(QUESTION)
    monkeypatch.setattr(a.index, "add_sentences", real)
    a.ingest([corpus])
    assert a.wait(timeout=120)
    assert set(a.index.sentence_vectors(chunk_ids)) == set(chunk_ids)
    after = a.ask(QUESTION)
    assert after.answer == before.answer and after.citations == before.citations
    a.close()
