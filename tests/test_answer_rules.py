"""The answer rules as rows: what a question asks for (ANSWER_TYPES) and the sentences in which a
publication frames itself (FRAMING), each row with made-up examples in the form of at least two
kinds of publication, and the refusal score's two parts (assistant/policy.evidence)."""
from __future__ import annotations

import pytest

from assistant import extractive, policy
from assistant.extractive import (
    ABOUT_THE_INSPECTION,
    ANSWER_TYPES,
    FRAMING,
    Candidate,
    framing,
    wants,
)
from assistant.query import understand
from index.records import Passage

# one list per FRAMING row, in table order: (publication, sentence)
FRAMING_EXAMPLES = [
    [("PEEL report", "This is the second PEEL assessment of Kent Police."),
     ("thematic", "This is our first inspection of the police response to stalking.")],
    [("custody report", "This report describes what we found when we inspected custody suites in Essex."),
     ("joint inspection", "The inspection examined cases from the point of report to the decision to charge.")],
    [("PEEL letter", "In making this assessment I have taken account of the force's own data."),
     ("thematic", "As part of this inspection we reviewed 400 case files.")],
    [("thematic", "We interviewed officers and staff in six forces."),
     ("PEEL report", "In 2019, HMICFRS began a new approach to inspecting forces.")],
    [("revisit", "Since our last inspection, the force has appointed a new chief officer for custody."),
     ("national overview", "Before this report, the inspectorate had not looked at fraud nationally.")],
    [("PEEL report", "It isn't possible to make direct comparisons with what Kent was told in 2019."),
     ("PEEL report", "It is not possible to compare these judgments with those of earlier inspections.")],
]
NOT_FRAMING = ["We found that the force has a backlog of vetting applications.",
               "The force has improved how it answers 101 calls.",
               "This is a cause of concern.",
               "This inspection found that the force is good at keeping people safe.",
               "I am concerned about the force's deteriorating performance."]

# one list per ANSWER_TYPES row: (question, a sentence that answers it, a sentence that does not)
ANSWER_TYPE_EXAMPLES = [
    [("What percentage of calls were answered in time?", "Only 62 percent were answered within 10 seconds.",
      "Most calls were answered promptly."),
     ("What proportion of files had a risk assessment?", "Around half of the files we read had one.",
      "Files often lacked a risk assessment.")],
    [("How many officers were dismissed?", "Twelve officers were dismissed in 2029.",
      "Officers were dismissed in 2029."),
     ("How much money did the force need to save?", "The force had to save £14.2m by March 2031.",
      "The force had planned its savings well.")],
    [("What grade did Kent get for legitimacy?", "We judged the force to be good at treating people fairly.",
      "The force treats people fairly."),
     ("How was Essex graded for investigating crime?", "Essex requires improvement at investigating crime.",
      "Essex investigates crime.")],
    [("When was the force moved into enhanced monitoring?", "The force was moved into Engage in March 2030.",
      "The force was moved into Engage."),
     ("In what year did the inspectorate begin PEEL?", "PEEL inspections began in 2014.",
      "PEEL inspections assess forces.")],
    [("How quickly did the force attend emergencies?", "It attended within 15 minutes on average.",
      "It attended emergencies."),
     ("How often are the audits carried out?", "Audits are carried out monthly.", "Audits are carried out.")],
    [("Who signed the assessment?", "Her Majesty's Inspector of Constabulary signed it.", "It was signed."),
     ("Which bodies carried out the custody inspection?", "HM Inspectorate of Prisons and HMICFRS inspected.",
      "the inspection was done jointly.")],
]


def test_every_row_has_examples_of_two_kinds():
    assert len(FRAMING_EXAMPLES) == len(FRAMING) and all(len(row) >= 2 for row in FRAMING_EXAMPLES)
    assert len(ANSWER_TYPE_EXAMPLES) == len(ANSWER_TYPES) and all(len(row) >= 2 for row in ANSWER_TYPE_EXAMPLES)


@pytest.mark.parametrize("publication,sentence", [e for row in FRAMING_EXAMPLES for e in row])
def test_framing_sentences_are_recognised(publication, sentence):
    assert framing(sentence), publication


@pytest.mark.parametrize("sentence", NOT_FRAMING)
def test_findings_are_not_framing(sentence):
    assert not framing(sentence)


@pytest.mark.parametrize("question,answers,other", [e for row in ANSWER_TYPE_EXAMPLES for e in row])
def test_each_answer_type_recognises_its_answer(question, answers, other):
    patterns = wants(question)
    assert patterns, question
    assert all(p.search(answers) for p in patterns)
    assert not all(p.search(other) for p in patterns)


def _passage(text: str, scores: dict) -> Passage:
    return Passage(chunk_id="c", doc_id="d", ordinal=0, text=text, start=0, end=len(text), section="",
                   page_start=None, page_end=None, forces=[], year=2030, programme=None, kind=None, title="t",
                   context="", score=1.0, rank=1, scores=scores)


def _candidate(text: str, dense: float, typed: bool = True, evidence: float = 0.6) -> Candidate:
    return Candidate(_passage(text, {"dense": dense}), 0, len(text), text, evidence=evidence, typed=typed)


def test_a_framing_sentence_yields_to_the_finding_unless_the_question_is_about_the_inspection(seeded):
    # the real model puts the framing sentence first for both questions (it shares "inspection",
    # "custody", "Kent"); the rule turns the first question to the finding
    passage = ("This report describes our inspection of custody suites in Kent. "
               "We are concerned that detainees in custody wait too long to be seen.")
    p = _passage(passage, {})
    for question, first in (("What worried the inspectors about custody in Kent?", "We are concerned"),
                            ("What did the custody inspection in Kent examine?", "This report describes")):
        cands = extractive.candidates([p])
        extractive.score(cands, understand(question).topic, question, seeded.index.embedder.embed)
        assert max(cands, key=lambda c: c.score).text.startswith(first), question
    assert ABOUT_THE_INSPECTION.search("What period did the inspection cover?")
    assert not ABOUT_THE_INSPECTION.search("Was the force worried about its backlog?")


def test_the_evidence_score_adds_the_passage_meaning_match_to_the_best_typed_sentence():
    typed = _candidate("Twelve officers left.", dense=0.7, evidence=0.5)
    untyped = _candidate("Officers left.", dense=0.8, typed=False, evidence=0.9)
    # the best sentence that holds what is asked for, plus half the best passage cosine
    assert policy.evidence([typed, untyped], 0.5) == pytest.approx(0.5 + 0.5 * 0.8)
    assert policy.evidence([untyped], 0.5) == 0.0  # nothing holds the figure asked for
    assert policy.evidence([untyped], 0.5, typed_only=False) == pytest.approx(0.9 + 0.5 * 0.8)  # how close it came
    assert policy.evidence([], 0.5) == 0.0
