"""Readers side by side with a writer: answers asked while reports are being ingested or removed are
each the answer of the corpus before the write or of the corpus after it, never of a half-done one."""
from __future__ import annotations

import shutil
import threading
import time

from assistant import Assistant

from .conftest import CAMBS_2012, CAMBS_2014, HANTS_2014, PEEL_2018, RESPONSE

QUESTIONS = [
    "What progress has been made on vetting since 2014?",
    "What did HMIC find about gifts and hospitality?",
    "How does the force handle complaints about officers abusing their position for a sexual purpose?",
    "What is the force doing about misuse of police systems?",
]


def _answer(a: Assistant, q: str) -> tuple[str, tuple]:
    ans = a.ask(q)
    return ans.answer, tuple((c.doc_id, c.start, c.end) for c in ans.citations)


def _ask_while(a: Assistant, busy: threading.Event, out: list, errors: list) -> None:
    i = 0
    while busy.is_set() or i < len(QUESTIONS):
        q = QUESTIONS[i % len(QUESTIONS)]
        try:
            out.append((q, _answer(a, q), time.perf_counter()))
        except Exception as e:  # any failure is the finding: collected, asserted empty below
            errors.append(f"{q}: {type(e).__name__}: {e}")
        i += 1


def _run_beside(a: Assistant, write, readers: int = 4) -> tuple[list, list, float]:
    """(question, answer, finished at) for every answer the readers gave, errors, when the write ended."""
    busy, out, errors = threading.Event(), [], []
    busy.set()
    threads = [threading.Thread(target=_ask_while, args=(a, busy, out, errors)) for _ in range(readers)]
    for t in threads:
        t.start()
    try:
        write()
    finally:
        ended = time.perf_counter()
        busy.clear()
        for t in threads:
            t.join(timeout=300)
    return out, errors, ended


def test_answers_during_an_ingest_are_those_of_the_old_or_the_new_corpus(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for src in (CAMBS_2012, RESPONSE):
        shutil.copy(src, folder / src.name)
    a = Assistant.open(tmp_path / "index")
    assert a.ingest([folder]).ok
    before = {q: _answer(a, q) for q in QUESTIONS}

    for src in (CAMBS_2014, HANTS_2014, PEEL_2018):
        shutil.copy(src, folder / src.name)
    out, errors, ended = _run_beside(a, lambda: a.ingest([folder]))
    after = {q: _answer(a, q) for q in QUESTIONS}

    assert not errors, errors[:3]
    assert before != after, "the new reports change these answers, or the test shows nothing"
    stale = [q for q, got, _ in out if got not in (before[q], after[q])]
    assert not stale, f"{len(stale)} of {len(out)} answers matched neither corpus, e.g. {stale[0]}"
    during = [got == before[q] for q, got, done in out if done < ended]
    assert len(during) >= 8 and any(during), "readers were held back while the reports were ingested"
    a.close()


def test_answers_during_a_removal_are_those_of_the_old_or_the_new_corpus(seeded_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    a = Assistant.open(index)
    before = {q: _answer(a, q) for q in QUESTIONS}
    gone = next(d.doc_id for d in a.documents() if "Hampshire" in d.forces)
    out, errors, _ = _run_beside(a, lambda: a.remove(gone))
    after = {q: _answer(a, q) for q in QUESTIONS}
    assert not errors, errors[:3]
    assert before != after, "the removed report changes these answers, or the test shows nothing"
    stale = [q for q, got, _ in out if got not in (before[q], after[q])]
    assert not stale, f"{len(stale)} of {len(out)} answers matched neither corpus"
    assert all(gone not in {c[0] for c in got[1]} for q, got, _ in out if got == after[q])
    a.close()
