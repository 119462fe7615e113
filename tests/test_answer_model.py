"""The answer model: the shipped file loads, is fitted on the features this version computes and
carries the thresholds the settings table uses; a wrong file is refused with what to do; the answer
states the grade, figure or date asked for from the lead sentence, and quotes a sentence several
reports print once, naming the others."""
from __future__ import annotations

import json

import numpy as np
import pytest

from assistant import answer_model, extractive
from assistant.errors import HmiqaError
from assistant.extractive import Candidate
from assistant.settings import Settings
from index.records import Passage

from .helpers import NoPages


def test_the_shipped_model_is_fitted_on_this_versions_features_with_the_settings_thresholds():
    model = answer_model.load(Settings.defaults().answer_model)
    assert model.features == answer_model.FEATURE_NAMES
    x = np.zeros((3, len(model.features)))
    p = model.probabilities(x)
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))
    # the thresholds the fit chose on out-of-fold probabilities are the settings' defaults: one source
    defaults = Settings.defaults()
    for name in ("refuse_below", "caution_below", "answer_ratio"):
        assert model.fitted[name] == getattr(defaults, name), name
    assert "realdev" in model.fitted["on"] and "fold" in model.fitted["how"]


def test_an_unknown_or_stale_model_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(HmiqaError, match=f"unknown answer model 'nope'; choose one of: .*{answer_model.DEFAULT}"):
        answer_model.load("nope")
    stale = answer_model.load(answer_model.DEFAULT).to_dict()
    stale["features"] = stale["features"][:-1]
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(stale))
    with pytest.raises(HmiqaError, match="other features .* refit it"):
        answer_model.load(str(path))
    path.write_text("{not json")
    with pytest.raises(HmiqaError, match="not JSON"):
        answer_model.load(str(path))


def test_an_unknown_model_in_the_settings_fails_at_open_with_the_names(seeded_index):
    from assistant import Assistant

    with pytest.raises(HmiqaError, match=f"unknown answer model 'no-such-model'; choose one of: {answer_model.DEFAULT}"):
        Assistant.open(seeded_index, answer_model="no-such-model")


@pytest.mark.parametrize("question,sentence,expected", [
    ("What grade was the force given for legitimacy?", "The force was graded as requires improvement at "
     "treating people fairly.", ("grade", "requires improvement")),
    ("How was the force graded for efficiency?", "Inspectors judged Kent to be good at planning its budgets.", ("grade", "good")),
    ("How many officers left the force?", "In 2016, 142 officers left the force.", ("figure", "142")),
    ("What percentage of calls were answered?", "It answered 87 percent of calls.", ("percentage", "87 percent")),
    ("When was the vetting code published?", "The code was published in October 2017.", ("date", "October 2017")),
])
def test_the_lead_states_what_is_asked_for(question, sentence, expected):
    assert extractive.stated(question, sentence) == expected


@pytest.mark.parametrize("question,sentence", [
    ("How many officers left the force?", "Of 142 officers, 12 left."),  # two figures: which is a guess
    ("What grade was the force given?", "The force made good progress."),  # "good" is not a grade here
    ("What did HMIC find about vetting?", "The force was graded as good."),  # no grade asked for
])
def test_the_lead_states_nothing_it_would_have_to_guess(question, sentence):
    assert extractive.stated(question, sentence) is None


def _passage(doc: str, forces: list[str], year: int, text: str) -> Passage:
    return Passage(chunk_id=f"{doc}:0000", doc_id=doc, ordinal=0, text=text, start=0, end=len(text), section="",
                   page_start=None, page_end=None, forces=forces, year=year, programme=None, kind=None,
                   title=f"{doc} report", context="", score=1.0, rank=1, scores={})


def test_a_sentence_several_reports_print_is_quoted_once_naming_the_others():
    text = "The force does not comply with the vetting code."
    v = np.ones(4) / 2
    cands = [Candidate(_passage(d, [f], 2014, text), 0, len(text), text, score=s, vector=v)
             for d, f, s in (("a", "Kent Police", 0.9), ("b", "Essex Police", 0.8), ("c", "Avon and Somerset", 0.7))]
    chosen = extractive.select(cands, limit=5, per_doc=3, floor=0.0, duplicate=0.9)
    assert [c.passage.doc_id for c in chosen] == ["a"]
    body, sentences, citations = extractive.compose(chosen, False, NoPages())
    assert len(sentences) == 1 and len(citations) == 1
    assert "the same in: Essex Police 2014; Avon and Somerset 2014" in body


def test_the_stated_answer_cites_the_lead_sentence_it_comes_from():
    text = "Inspectors judged Kent to be good at planning its budgets."
    c = Candidate(_passage("a", ["Kent Police"], 2022, text), 0, len(text), text, score=0.9, vector=np.ones(4) / 2)
    body, sentences, citations = extractive.compose([c], False, NoPages(), "How was the force graded for planning?")
    first = body.splitlines()[0]
    assert first == "**Grade: good** (Kent Police, 2022) [1]"
    assert "good" in citations[0].quote and sentences[0].text == text


@pytest.mark.parametrize("sentence,quoted", [
    ("The force should review how it records gifts and corruption; and",
     "The force should review how it records gifts and corruption"),  # a list item before the last
    ("officers who are not vetted,", "officers who are not vetted"),
    ("The force complies with the vetting code.", "The force complies with the vetting code."),
])
def test_a_sentence_cut_at_its_connector_is_quoted_to_the_end_of_its_clause(sentence, quoted):
    text = "Introduction. " + sentence + " Next sentence."
    start = text.index(sentence)
    c = Candidate(_passage("a", ["Kent Police"], 2022, text), start, start + len(sentence), sentence, score=0.9,
                  vector=np.ones(4) / 2)
    body, sentences, citations = extractive.compose([c], False, NoPages())
    assert sentences[0].text == quoted and citations[0].quote == quoted
    assert citations[0].quote in text  # still an exact substring of the passage


def test_a_weak_answer_states_nothing_in_its_first_line(seeded_index):
    """The same figure question states its figure when the evidence is strong enough to answer, and
    not when the answer only quotes the closest passages under the caution."""
    from assistant import Assistant
    from assistant.policy import CAUTION_NOTICE

    question = "How many PSD champions have volunteered across the three forces?"
    answered = Assistant.open(seeded_index).ask(question)
    assert answered.answer.startswith("**Figure: ") and CAUTION_NOTICE not in answered.notices
    cautioned = Assistant.open(seeded_index, caution_below=1.0).ask(question)  # every answer is weak
    assert CAUTION_NOTICE in cautioned.notices and "**Figure:" not in cautioned.answer
    assert [c.quote for c in cautioned.citations] == [c.quote for c in answered.citations]
