"""How questions name years: every row of assistant/query.py's RANGES and POINTS tables, each with
made-up questions of at least two kinds of publication, and the publication years they come to.

The years understood from a question are preferences (they raise the reports that meet them, never
hide the others), so a row that reads a year wrongly costs ranking, not evidence; these tests keep
each row to the class of phrasing it was written for.
"""
from __future__ import annotations

import pytest

from assistant.query import POINTS, RANGES, _years, understand

NEWEST = 2030
# one list per row, in table order: (question, (from, to))
RANGE_EXAMPLES = [
    [("How did Kent's crime recording change between 2016 and 2019?", (2016, 2019)),
     ("What happened to Essex's causes of concern between March 2021 and June 2023?", (2021, 2023)),
     ("How did Surrey's effectiveness grade move between the 2016 and 2017 PEEL assessments?", (2016, 2018)),
     ("How did stop and search change from PEEL 2017 to PEEL 2021/22?", (2017, 2023))],
    [("What progress on vetting since 2015?", (2015, None)),
     ("How has the response to stalking changed since HMIC's 2017 report?", (2017, None))],
    [("What did the inspectorate find about custody after 2019?", (2020, None)),
     ("Any findings on fraud after 2020 for Kent?", (2021, None))],
    [("What did HMIC say about integrity before 2014?", (None, 2013)),
     ("Were there custody inspections before 2016 in Wales?", (None, 2015))],
    [("What had Essex done about vetting by 2020?", (None, 2020)),
     ("Which recommendations were met up to 2018?", (None, 2018))],
    [("What was found about child protection in the last three years?", (2028, None)),
     ("Any findings on the 999 service in the past 2 years?", (2029, None))],
    [("What did the inspectorate say about Kent's custody suites last year?", (2029, 2030)),
     ("Which forces were graded inadequate for vetting in the past year?", (2029, 2030))],
    [("What did the latest inspection say about Kent's call handling?", (2030, None)),
     ("What is the most recent report on Essex's vetting?", (2030, None))],
]
POINT_EXAMPLES = [
    [("Which reports on Kent were published in 2024?", (2024, 2024)),
     ("What did the stalking thematic published in March 2022 recommend?", (2022, 2022))],
    [("What grade did Kent get for legitimacy in PEEL 2016?", (2016, 2017)),
     ("Which forces were inadequate at responding to the public in PEEL 2023/25?", (2025, 2026))],
    [("Who signed the annual assessment for the 2013/14 inspection year?", (2014, 2015)),
     ("How did Essex do in the 2019/20 PEEL cycle?", (2020, 2021))],
    [("What did HMIC find in 2013 about Kent's use of force?", (2013, 2014)),
     ("What did the inspectorate say during 2020/21 about remote hearings?", (2020, 2022))],
    [("What did the 2019 fraud thematic recommend?", (2019, 2019)),
     ("How did the force answer HMICFRS's 2022 integrity report?", (2022, 2022)),
     ("Which forces published a response to the 2021/22 report on Essex?", (2022, 2023))],
    [("Which bodies carried out the October 2018 inspection of Kent's custody suites?", (2018, 2019)),
     ("How many files did inspectors read in the 2021 joint inspection?", (2021, 2022))],
]


@pytest.mark.parametrize("table,examples", [(RANGES, RANGE_EXAMPLES), (POINTS, POINT_EXAMPLES)],
                         ids=["RANGES", "POINTS"])
def test_every_row_has_examples_of_two_kinds(table, examples):
    assert len(examples) == len(table), "a row without examples, or examples without their row"
    assert all(len(row) >= 2 for row in examples)


@pytest.mark.parametrize("question,years", [e for row in RANGE_EXAMPLES + POINT_EXAMPLES for e in row])
def test_each_phrase_gives_the_publication_years(question, years):
    got = _years(question, NEWEST)
    assert got[:2] == years, got[2]


def test_years_named_twice_are_joined_and_a_question_without_years_has_none():
    assert _years("How did Kent (PEEL 2015) and Essex (PEEL 2017) compare on investigating crime?", NEWEST)[:2] \
        == (2015, 2018)
    assert _years("How many recommendations of the 2014 report did the 2016 follow-up report check?", NEWEST)[:2] \
        == (2014, 2016)
    for question in ("What did the inspectorate find about vetting in Kent?",
                     "How many of the 43 forces were graded good?",  # a count, not a year
                     "What was the outcome for the 2016/17 year's budget?"):
        assert _years(question, NEWEST)[:2] == (None, None), question


def test_the_answer_says_which_phrase_set_the_years():
    q = understand("What grade did Kent get for legitimacy in PEEL 2016?", newest_year=NEWEST)
    assert (q.year_from, q.year_to) == (2016, 2017)
    assert q.sources["years"] == "question ('PEEL 2016')"
    assert q.intent == "fact"
    assert understand("What progress on vetting since 2015?", newest_year=NEWEST).intent == "progress"
    # an open range asks how things went on, however the question is capitalised
    assert understand("After 2018, what did HMIC say about custody in Kent?", newest_year=NEWEST).intent == "progress"


@pytest.mark.parametrize("question", [
    "How many custody suites had Essex closed since 2015?",  # a figure, whatever the words of change
    "When did the inspectorate go back to Kent to check progress?",  # a date
    "What grade did Essex get for legitimacy since the 2016 changes?",  # a grade
    "What did the inspectorate find about Kent's vetting last year?",  # one year, not a span
])
def test_a_question_wanting_one_figure_date_or_grade_is_not_a_timeline(question):
    assert understand(question, newest_year=NEWEST).intent == "fact"


def test_years_given_in_either_order_make_one_range():
    assert _years("What changed between 2019 and 2015 in Essex?", NEWEST)[:2] == (2015, 2019)
