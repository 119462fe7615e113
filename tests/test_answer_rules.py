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
    FURNITURE,
    Candidate,
    framing,
    furniture,
    list_items,
    wants,
)
from ingest.clean import clean
from assistant.query import understand
from index.records import Passage

from .helpers import NoPages

# one list per FRAMING row, in table order: (publication, sentence)
FRAMING_EXAMPLES = [
    [("PEEL report", "This is the second PEEL assessment of Kent Police."),
     ("thematic", "This is our first inspection of the police response to stalking.")],
    [("custody report", "This report describes what we found when we inspected custody suites in Essex."),
     ("joint inspection", "The inspection examined cases from the point of report to the decision to charge.")],
    [("PEEL letter", "In making this assessment I have taken account of the force's own data."),
     ("thematic", "As part of this inspection we reviewed 400 case files.")],
    [("thematic", "We interviewed officers and staff in six forces."),
     ("PEEL report", "In 2019, HMICFRS began a new approach to inspecting forces."),
     ("custody report", "In May 2030, Her Majesty’s Inspectorate visited the cells at Kent's two custody "
                        "suites.")],
    [("revisit", "Since our last inspection, the force has appointed a new chief officer for custody."),
     ("national overview", "Before this report, the inspectorate had not looked at fraud nationally.")],
    [("PEEL report", "It isn't possible to make direct comparisons with what Kent was told in 2019."),
     ("PEEL report", "It is not possible to compare these judgments with those of earlier inspections.")],
    [("PEEL report", "PEEL is the inspectorate's yearly look at each force."),
     ("PEEL web page", "PEEL (a yearly programme of force inspections) assesses how each force spends its money.")],
    [("annual assessment", "These are some of the findings from our visit to Kent in 2031."),
     ("thematic", "This is one of the conclusions of the joint inspection of custody.")],
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
      "Essex investigates crime."),
     ("What overall judgment did the crime data inspection give Essex?",
      "Overall, inspectors rated Essex Police inadequate for crime recording.", "We inspected Essex Police in 2031."),
     ("Which areas did the inspectorate judge inadequate in Kent?",
      "Kent Police was rated inadequate for how it answers emergency calls.", "Kent answers emergency calls.")],
    [("When was the force moved into enhanced monitoring?", "The force was moved into Engage in March 2030.",
      "The force was moved into Engage."),
     ("In what year did the inspectorate begin PEEL?", "PEEL inspections began in 2014.",
      "PEEL inspections assess forces.")],
    [("How quickly did the force attend emergencies?", "It attended within 15 minutes on average.",
      "It attended emergencies."),
     ("How often are the audits carried out?", "Audits are carried out monthly.", "Audits are carried out.")],
    [("Who led the assessment?", "Her Majesty's Inspector of Constabulary led it.", "It was led well."),
     ("Which bodies carried out the custody inspection?", "HM Inspectorate of Prisons and HMICFRS inspected.",
      "the inspection was done jointly.")],
    [("Which HM Inspector signed the Kent PEEL letter?", "Jane Smith, Her Majesty's Inspector of Constabulary",
      "Her Majesty's Inspector of Constabulary visited Kent."),
     ("Who signed the annual assessment, and when?",
      "JOHN A SMITH HM Chief Inspector of Constabulary 31 March 2031", "The assessment was signed in March.")],
]

# one list per FURNITURE row: (publication, a line its PDF text carries)
FURNITURE_EXAMPLES = [
    [("annual assessment", "Cover image © Kent Police Promoting improvements in policing"),
     ("thematic", "© HMICFRS 2031 You may re-use this information free of charge")],
    [("annual assessment", "ii STATE OF POLICING 3"), ("PEEL report", "KENT POLICE 14")],
    [("annual assessment", "Contents 2 Foreword 4 Introduction"), ("thematic", "Contents 3 Summary")],
]
NOT_FURNITURE = ["We found that the force has a backlog of vetting applications.",
                 "2 ANNUAL REVIEW In this review we compare how the forces use overtime.",
                 "JOHN A SMITH HM Chief Inspector of Constabulary 31 March 2031",
                 "The contents of the register are checked every 2 months by the PSD."]


def test_every_row_has_examples_of_two_kinds():
    assert len(FRAMING_EXAMPLES) == len(FRAMING) and all(len(row) >= 2 for row in FRAMING_EXAMPLES)
    assert len(FURNITURE_EXAMPLES) == len(FURNITURE) and all(len(row) >= 2 for row in FURNITURE_EXAMPLES)
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


def test_the_evidence_is_the_best_probability_of_a_sentence_holding_what_is_asked_for():
    typed = _candidate("Twelve officers left.", dense=0.7)
    typed.score = 0.4
    untyped = _candidate("Officers left.", dense=0.8, typed=False)
    untyped.score = 0.9
    assert policy.evidence([typed, untyped]) == pytest.approx(0.4)
    assert policy.evidence([untyped]) == 0.0  # nothing holds the figure asked for
    assert policy.evidence([untyped], typed_only=False) == pytest.approx(0.9)  # how close it came
    assert policy.evidence([]) == 0.0


@pytest.mark.parametrize("publication,line", [e for row in FURNITURE_EXAMPLES for e in row])
def test_page_furniture_is_never_quoted(publication, line):
    assert furniture(line), publication
    text = line + "\n\nThe force has a backlog of vetting applications."
    assert [c.text for c in extractive.candidates([_passage(text, {})])] == ["The force has a backlog of vetting applications."]


@pytest.mark.parametrize("line", NOT_FURNITURE)
def test_findings_and_signatures_are_not_furniture(line):
    assert not furniture(line)


@pytest.mark.parametrize("text,signature", [
    ("Kent Police keeps people safe.\n\nJane Smith, Her Majesty's Inspector of Constabulary\n\nHMI's observations\n\n"
     "The force is good at preventing crime.", "Jane Smith, Her Majesty's Inspector of Constabulary"),
    ("I commend this report to you.\n\nJOHN A SMITH HM Chief Inspector of Constabulary 31 March 2031\n\n"
     "Contents\n\nThe year in review.", "JOHN A SMITH HM Chief Inspector of Constabulary 31 March 2031"),
])
def test_a_signature_block_is_text_an_answer_can_quote_not_a_heading(text, signature):
    cleaned = clean(text)
    assert signature in cleaned.text
    assert signature not in {s.title for s in cleaned.sections}
    assert signature in [c.text for c in extractive.candidates([_passage(cleaned.text, {})])]


def _scored(texts: list[str], question: str, embedder) -> list[Candidate]:
    """Passages laid end to end in one document, as consecutive chunks are."""
    passages, start = [], 0
    for i, text in enumerate(texts):
        passages.append(Passage(chunk_id=f"d:{i:04d}", doc_id="d", ordinal=i, text=text, start=start,
                                end=start + len(text), section="", page_start=None, page_end=None, forces=[],
                                year=2030, programme=None, kind=None, title="t", context="", score=1.0 - i / 10,
                                rank=i + 1, scores={}))
        start += len(text) + 2  # the blank line between two chunks
    cands = extractive.candidates(passages)
    extractive.score(cands, understand(question).topic, question, embedder.embed)
    return sorted(cands, key=lambda c: -c.score)


@pytest.mark.parametrize("texts,question,item", [
    # a thematic's recommendations, in the chunk after their lead-in
    (["Stalking has risen sharply since 2025. HMI Jane Smith set out three recommendations:",
      "1. Chief constables should appoint a lead for stalking.\n2. Every force should record each report of "
      "stalking as a crime.\n3. Victims should be told within a day who is handling their case."],
     "What did HMI Jane Smith recommend in the stalking report?", "Chief constables should appoint a lead"),
    # a cause-of-concern letter's requirements, bulleted in the same chunk
    (["Our cause of concern had two recommendations. Within three months, Kent Police should:\n\n"
      "- cut the time callers wait on the 101 line;\n- make sure call handlers assess risk "
      "consistently.\n\nThe force has a new chief constable."],
     "What did HMICFRS require Kent Police to do about its 101 line?", "cut the time callers wait"),
])
def test_a_lead_in_yields_to_the_items_it_introduces(seeded, texts, question, item):
    cands = _scored(texts, question, seeded.index.embedder)
    assert cands[0].text.startswith(item), [c.text for c in cands[:3]]
    lead = next(c for c in cands if c.text.endswith(":"))
    assert {id(i) for i, ld, _ in list_items(cands) if ld is lead}  # the lead-in leads its items…
    assert all(i.evidence >= lead.evidence - 0.05 * n - 1e-9 for i, ld, n in list_items(cands) if ld is lead)
    assert lead.score < cands[0].score  # …and yields to them


def test_a_lead_in_whose_items_were_not_retrieved_keeps_its_place(seeded):
    # the letter's chunk ends on the lead-in; without the chunk after it, the lead-in is the best pointer
    question = "What did HMICFRS require Kent Police to do about its 101 line?"
    letter = "Kent Police answers 999 calls quickly. Within three months, Kent Police should:"
    alone = _scored([letter], question, seeded.index.embedder)
    with_items = _scored([letter, "- cut the time callers wait on the 101 line."], question,
                         seeded.index.embedder)
    lead_alone = next(c for c in alone if c.text.endswith(":"))
    lead_with = next(c for c in with_items if c.text.endswith(":"))
    assert not list_items(alone)
    assert lead_alone.score - lead_with.score == pytest.approx(extractive.LEAD_IN_PENALTY)


def _ranked(doc: str, year: int, text: str, score: float, start: int = 0) -> extractive.Candidate:
    p = Passage(chunk_id=f"{doc}:0000", doc_id=doc, ordinal=0, text=text, start=start, end=start + len(text),
                section="", page_start=None, page_end=None, forces=["Kent"], year=year, programme=None,
                kind=None, title=f"Report {doc}", context="")
    return extractive.Candidate(p, start, start + len(text), text, score=score)


def test_an_answer_leads_with_its_best_sentence_and_a_timeline_keeps_year_order():
    older_weak = _ranked("a", 2014, "The force has a vetting policy.", 0.7)
    newer_best = _ranked("b", 2019, "The vetting backlog fell from 18 to 16.7 percent.", 1.4)
    newer_other = _ranked("b", 2019, "Vetting is now done before appointment.", 0.9, start=100)
    _, sentences, citations = extractive.compose([older_weak, newer_other, newer_best], False, NoPages())
    assert [s.text for s in sentences] == [newer_best.text, newer_other.text, older_weak.text]
    assert [c.n for c in citations] == [1, 2, 3] and citations[0].quote == newer_best.text
    _, sentences, _ = extractive.compose([older_weak, newer_other, newer_best], True, NoPages())
    assert [s.text for s in sentences] == [older_weak.text, newer_best.text, newer_other.text]
