"""Plain words in questions and the words reports use (assistant/plainwords.py): each row with made-up
questions and report sentences from two kinds of publication, and the effect on answers with the real
model: the sentence in the report's words is quoted for a question in plain words."""
from __future__ import annotations

import pytest

from assistant import extractive, plainwords
from assistant.plainwords import REPORT_WORDS, expansions, search_words
from assistant.query import understand
from index.records import Passage

# one list per REPORT_WORDS row, in table order: (publication, question, a report sentence in its words)
EXAMPLES = [
    [("PEEL letter", "Was the inspector worried about Kent's 101 calls?", "I am concerned about how Kent answers 101 calls."),
     ("custody report", "What worries inspectors about cells in Essex?", "Our main concern is the state of the suites.")],
    [("PEEL letter", "Was Kent going downhill in 2030?", "I am concerned by its deteriorating performance."),
     ("revisit", "Is the vetting backlog getting worse?", "We found a deterioration in vetting times.")],
    [("custody report", "How are people locked up in Essex treated?", "Detainees in custody are treated with respect."),
     ("PEEL report", "Do people in the cells get a solicitor quickly?", "Detainees see a solicitor within the hour.")],
    [("thematic", "How are youngsters in care protected?", "Children in care are referred to partners."),
     ("PEEL report", "What happens to kids found with knives?", "Children found carrying knives are referred.")],
    [("PEEL report", "Did Kent earn any praise?", "We found good examples of work with partners."),
     ("news release", "Did the inspectorate compliment Essex?", "The inspectorate commended Essex's work.")],
    [("PEEL report", "Is Kent quicker to pick up the phone now?", "The force answers calls more quickly."),
     ("cause of concern letter", "How long do phones ring at Essex?", "Call handlers answer 999 calls in 10 seconds.")],
    [("integrity report", "Do staff feel backed when they report?", "Staff who report get support from managers."),
     ("PEEL report", "Were whistleblowers backing by managers?", "Managers support staff who report.")],
    [("integrity report", "Do officers call out colleagues who misbehave?", "Officers challenge inappropriate comments."),
     ("thematic", "How is wrongdoing by officers handled?", "Misconduct cases are assessed by the PSD.")],
    [("integrity report", "Will officers call out a colleague?", "Officers are prepared to challenge colleagues."),
     ("PEEL report", "Can staff blow the whistle safely?", "Staff can use the confidential reporting line.")],
    [("integrity report", "How many officers were sacked in 2030?", "Twelve officers were dismissed in 2030."),
     ("news release", "Were any staff fired after the review?", "Two members of staff were dismissed.")],
    [("integrity report", "How does Kent catch bent officers?", "The counter-corruption unit investigates."),
     ("thematic", "Are there officers on the take?", "We found no evidence of corrupt practice.")],
    [("PEEL report", "Does Kent run background checks on recruits?", "Every recruit is vetted before starting."),
     ("integrity report", "Is Essex re-checking the backgrounds of serving officers?", "Serving officers are vetted again every ten years.")],
    [("PEEL report", "How many cops does Kent have on patrol?", "Kent has 1,200 officers on patrol."),
     ("thematic", "Do coppers get training on stalking?", "Officers receive training on stalking.")],
]


def test_every_row_has_examples_of_two_kinds():
    assert len(EXAMPLES) == len(REPORT_WORDS) and all(len(row) >= 2 for row in EXAMPLES)


@pytest.mark.parametrize("row,publication,question,sentence",
                         [(i, *e) for i, row in enumerate(EXAMPLES) for e in row])
def test_a_plain_word_meets_the_report_word(row, publication, question, sentence):
    found = expansions(question)
    assert found, (publication, question)
    # the sentence shares a concept with the question only through the row's report words
    concepts = extractive.concepts(understand(question).topic, question)
    assert any(k & extractive.stems(sentence) for k in concepts), (publication, question, sentence)
    assert search_words(question)


@pytest.mark.parametrize("question", ["What progress has been made on vetting since 2014?",
                                      "How many officers were dismissed in 2030?",
                                      "Did the force respond to calls for service in time?"])
def test_a_question_in_report_words_is_left_alone(question):
    assert search_words(question) == ""
    topic = understand(question).topic
    assert extractive.concepts(topic, question) == [{s} for s in sorted(extractive.stems(topic))]


def test_a_sentence_in_report_words_gains_evidence_for_a_plain_question(seeded, monkeypatch):
    text = ("During our visits the force was restructuring its neighbourhood teams. "
            "We are concerned that detainees in custody do not always see a doctor when they need one.")
    passage = Passage(chunk_id="d:0000", doc_id="d", ordinal=0, text=text, start=0, end=len(text), section="",
                      page_start=None, page_end=None, forces=["Kent"], year=2030, programme=None, kind=None,
                      title="t", context="", score=1.0, rank=1, scores={})
    question = "What worried inspectors about people locked up by Kent?"

    def margin() -> float:
        cands = extractive.candidates([passage])
        extractive.score(cands, understand(question).topic, question, seeded.index.embedder.embed)
        other, concerned = cands
        return concerned.evidence - other.evidence

    with_table = margin()
    monkeypatch.setattr(plainwords, "_ROWS", [])
    without = margin()
    # "worried" meets "concerned" and "locked up" meets "detainees in custody": two of the concepts
    assert with_table - without > 0.1


def test_retrieval_searches_for_the_report_words_too(seeded):
    r = seeded.retrieve("Do Hampshire staff who blow the whistle feel backed?")
    assert "confidential reporting" in r.search_text and "supported" in r.search_text
    assert seeded.retrieve("What progress has been made on vetting since 2014?").search_text == \
        "What progress has been made on vetting since 2014?"
