"""Cited extractive answers over the seed index: timelines, exact quotes, refusals, follow-ups."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from .conftest import ROOT
from .helpers import check_citations


def test_vetting_progress_since_2014_is_a_cited_timeline(seeded):
    answer = seeded.ask("What progress has been made on vetting since 2014?")
    assert not answer.refused and answer.filters["year_from"] == 2014 and answer.filters["intent"] == "progress"
    check_citations(seeded, answer)
    text = answer.answer
    assert text.index("### 2014") < text.index("### 2020")
    cambs14 = text.index("Vetting arrangements do not fully comply with the national vetting policy")
    assert cambs14 < text.index("re-vetting of all staff") < text.index("encouraging progress in improving its vetting")
    # the recommendation (the report prints it twice, once with "that"): either wording is the same finding
    assert re.search(r"the force should ensure (?:that )?it complies, as far as practicable, with the current "
                     r"national vetting policy", text)
    assert "doesn’t yet fully comply with all elements of national vetting standards" in text
    assert "reduced its backlogs from 18 percent in April 2019 to 16.7 percent in May 2019" in text
    assert "Latest position (2020)" in text
    years = [c.year for c in sorted(answer.citations, key=lambda c: c.n)]
    assert years == sorted(years)


@pytest.mark.parametrize("question,why", [
    ("What did HMIC say about police use of drones?", "do not answer"),
    ("What is the burglary detection rate?", "do not answer"),
    ("How much did the force spend on overtime?", "do not answer"),
    ("What did HMIC find about vetting in Kent Police?", "nothing for force Kent"),
    ("What did HMIC find about vetting in Gotham Police?", "does not know a police force called Gotham"),
])
def test_questions_the_reports_cannot_answer_are_refused(seeded, question, why):
    answer = seeded.ask(question)
    assert answer.refused
    assert why in answer.answer
    assert not re.search(r"scored|\d\.\d\d", answer.answer), answer.answer  # in words: the score is evidence_score


def test_a_refusal_lists_the_closest_passages_as_exact_quotes_not_as_an_answer(seeded):
    """A refusal is a threshold's judgement: the sentences that came closest are listed apart from the
    answer (no answer sentence cites them), so a wrong refusal still shows the evidence."""
    answer = seeded.ask("What did HMIC say about police use of drones?")
    assert answer.refused and not answer.citations and not answer.sentences
    assert "closest passages are listed; they may not answer it" in answer.answer
    closest = answer.closest
    assert 1 <= len(closest) <= 3 and [c.n for c in closest] == list(range(1, len(closest) + 1))
    assert max(sum(c.doc_id == d for c in closest) for d in {c.doc_id for c in closest}) <= 2  # two a report at most
    chunks = seeded.passages()
    for c in closest:
        assert c.quote in chunks[c.chunk_id].text
        assert seeded.document(c.doc_id).text[c.start:c.end] == c.quote
    assert "closest" in answer.to_dict() and answer.to_dict()["closest"][0]["quote"] == closest[0].quote
    assert not seeded.ask("What progress has been made on vetting since 2014?").closest  # an answer has none


def test_empty_force_filter_shows_labelled_evidence_without_it(seeded):
    answer = seeded.ask("What did HMIC find about vetting in Kent Police?")
    assert "Closest evidence without the force filter (not about Kent)" in answer.answer
    assert answer.notices and "Cambridgeshire, Hampshire" in answer.notices[0]
    check_citations(seeded, answer)


def test_follow_up_swaps_the_force(seeded):
    first = "What progress has been made on vetting since 2014?"
    answer = seeded.ask("and Hampshire?", history=[first])
    assert answer.filters["forces"] == ["Hampshire"] and answer.filters["year_from"] == 2014
    assert answer.filters["sources"]["topic"] == "conversation"
    check_citations(seeded, answer)
    assert {c.force for c in answer.citations} == {"Hampshire"}
    assert any("vetting" in c.quote.lower() for c in answer.citations)


def test_follow_up_changes_the_years(seeded):
    history = ["What did HMIC find about vetting in Cambridgeshire?"]
    answer = seeded.ask("what about after 2018?", history=history)
    assert answer.filters["forces"] == ["Cambridgeshire"] and answer.filters["year_from"] == 2019
    check_citations(seeded, answer)
    assert {c.year for c in answer.citations} == {2020}


def test_what_did_they_recommend(seeded):
    history = ["How does Cambridgeshire deal with corruption intelligence?"]
    answer = seeded.ask("what did they recommend?", history=history)
    assert answer.filters["intent"] == "recommend" and answer.filters["forces"] == ["Cambridgeshire"]
    check_citations(seeded, answer)
    assert any("should" in c.quote for c in answer.citations)


def test_caller_filters_override_the_question(seeded):
    answer = seeded.ask("vetting in Cambridgeshire", filters=seeded.filters(forces=["Hampshire"]))
    assert answer.filters["forces"] == ["Hampshire"] and answer.filters["sources"]["forces"] == "caller"
    assert {c.force for c in answer.citations} == {"Hampshire"}


def test_table_figures_are_cited_row_by_row(seeded):
    answer = seeded.ask("How many public complaints did Cambridgeshire get in the 12 months to March 2014?")
    check_citations(seeded, answer)
    assert any(c.quote == "Total public complaints against officers and staff, 12 months to March 2014: 356"
               for c in answer.citations)


def test_ask_json_and_errors(seeded_index):
    cli = [sys.executable, "-m", "cli", "ask", "Are refused gifts recorded?", "--json",
           "--index", str(seeded_index)]
    out = subprocess.run(cli, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert {"answer", "sentences", "citations", "filters", "refused", "mode", "timings_ms"} <= set(record)
    assert {"n", "chunk_id", "doc_id", "title", "force", "year", "section", "page", "quote", "start", "end"} \
        <= set(record["citations"][0])
    empty = subprocess.run(cli[:4] + ["  ", "--index", str(seeded_index)], capture_output=True, text=True, cwd=ROOT)
    assert empty.returncode == 2 and "question is empty" in empty.stderr


def test_chat_carries_the_conversation(seeded_index):
    out = subprocess.run([sys.executable, "-m", "cli", "chat", "--index", str(seeded_index)],
                         input="What did HMIC find about gifts and hospitality in Cambridgeshire?\nand Hampshire?\n\n",
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    second = out.stdout.split("you>")[2]
    assert "force Hampshire (question)" in second and "Hampshire Constabulary" in second


def test_inferred_years_keep_an_undated_report_and_set_years_count_it(fresh, tmp_path):
    """A year read from the question is a preference: the report whose year is unknown still answers.
    A year the caller sets is a filter: that report is left out, and the answer says so."""
    undated = tmp_path / "undated.txt"
    undated.write_text("Kent Police: a review of its gifts register\n\nSummary\n\nThe gifts register of Kent Police "
                       "is checked by the professional standards department every quarter, and refused gifts are "
                       "recorded as well as accepted ones.\n")
    dated = tmp_path / "dated.txt"
    dated.write_text("Essex Police: custody\n\nPublished on: 3 March 2016\n\nSummary\n\nThe custody suites of Essex "
                     "Police were clean and well run, and detainees were seen by a nurse within the hour.\n")
    assert fresh.ingest([undated, dated]).ok
    assert {d.title: d.year for d in fresh.documents()}["Kent Police: a review of its gifts register"] is None
    answer = fresh.ask("How often is the Kent gifts register checked in 2016?")
    assert not answer.refused and any("every quarter" in c.quote for c in answer.citations)
    assert "Preferred, not required" in answer.answer
    hard = fresh.ask("How often is the Kent gifts register checked?", filters=fresh.filters(year_from=2016))
    assert not any("every quarter" in c.quote for c in hard.citations)
    assert "1 report(s) with no known year were left out by the year filter" in hard.notices


def test_a_passage_ending_on_a_lead_in_brings_the_items_after_it(fresh, tmp_path):
    # a thematic whose recommendations are in the chunk after the sentence that introduces them
    filler = ["The force has {n} officers working on stalking cases across its districts and shares what it "
              "learns with partners.",
              "Inspectors read {n} case files and spoke to victims, officers and staff about how reports are handled."]
    body = " ".join(filler[i % 2].format(n=10 + i) for i in range(8))
    report = tmp_path / "kent-stalking.txt"
    report.write_text("Stalking: a thematic inspection of Kent Police\n\n" + body
                      + " HMI Jane Smith set out three recommendations for forces:\n\n"
                      "1. Chief constables should appoint a lead for stalking who answers for how every report is "
                      "recorded, investigated and reviewed, who meets victims' advocates every quarter, and who "
                      "reports each year to the police and crime commissioner on what has changed for victims.\n"
                      "2. Every force should record each report of stalking as a crime.\n"
                      "3. Victims should be told within a day who is handling their case.\n")
    assert fresh.ingest([report]).ok
    question = "What did HMI Jane Smith recommend in her report on stalking in Kent?"
    first = fresh.retrieve(question, k=1).passages
    assert len(first) == 1 and first[0].text.rstrip(" 1.\n").endswith("for forces:"), first  # the set-up
    answer = fresh.ask(question, k=1)
    quotes = [c.quote for c in answer.citations]
    items = ("Chief constables should appoint a lead for stalking", "Every force should record each report",
             "Victims should be told within a day")
    assert quotes and quotes[0].startswith(items), quotes  # an item leads, not the lead-in
    assert all(any(q.startswith(i) for q in quotes) for i in items), quotes
    assert not any(q.endswith("for forces:") for q in quotes)
    check_citations(fresh, answer)
