"""Every row of every metadata rule table, exercised by examples from at least two publications.

The examples are lines as these publications print them (short phrases, not their texts). A new
row without two examples fails `test_every_row_has_examples_from_two_publications`, so no rule
lands having been written from one sentence.
"""
from __future__ import annotations

import re

import pytest

from ingest import dates, furniture, metadata, programmes

# table name -> one list per row (in table order) of (publication, example). The examples are made up
# in the form each class of publication prints (other forces, dates and wording): no text of the
# development set is copied here.
FURNITURE = [
    [("HMICFRS PEEL page", "Skip to Content"), ("PCC site", "skip to main content")],
    [("HMICFRS site", "Menu"), ("PDF host", "<<"), ("gov.uk", "Search")],
    [("CJJI site", "Are you OK with cookies?"), ("gov.uk", "Cookies on GOV.UK")],
    [("archived PEEL page", "Planned website downtime"), ("another archived PEEL page", "Planned Website Downtime")],
    [("archived PEEL page", "The HMICFRS website will be unavailable between 7am and 9am on Monday 2 May for an update."),
     ("another archived PEEL page", "The HMICFRS website will be unavailable on Saturday 3 June from 8am.")],
    [("archived PEEL page", "Draft policing inspection framework 2030–33: For consultation"),
     ("older PEEL page", "HMIC is consulting on its draft inspection programme for 2015/16")],
    [("archived PEEL page", "We would like your views on the themes this programme should cover."),
     ("older PEEL page", "Please give us your views by noon on Monday 9 March 2015.")],
    [("joint inspection page", "Print this document"), ("gov.uk guidance", "Share this page")],
    [("PEEL force page", "Read more about Kent"), ("another PEEL force page", "Read more about Essex 2017")],
    [("PEEL force page", "Contact Anne Example"), ("another PEEL force page", "Contact John Sample")],
    [("HMICFRS news release", "Get the Report"), ("aggregator news item", "Get the Report : Stalking thematic")],
    [("Welsh force's PEEL page", "Os hoffech chi ddarllen hwn yn Gymraeg"), ("another Welsh page", "Cymraeg")],
    [("PCC site", "Change text size"), ("force site", "A A A")],
    [("PDF host copy of a custody report", "Post on 12-Mar-2021"), ("PDF host copy of a PEEL report", "Upload: others"),
     ("PDF host", "14 views")],
    [("PDF host copy of a report", "Page 3: An inspection of the police response to fraud ..."),
     ("PDF host search result", "an inspection of stalking ... · section 4. findings 12...")],
    [("CJJI joint inspection page", "© Copyright, Criminal Justice Joint Inspectorates 2030."),
     ("gov.uk publication", "All content is available under the Open Government Licence v3.0, except where otherwise "
      "stated.")],
    [("aggregator item of HMICFRS news", "Original article link: https://example.gov.uk/news/a"),
     ("aggregator item of a PCC statement", "Original article link: https://www.example-pcc.gov.uk/news/y")],
    [("PCC news", "Looking for Kent Police?"), ("PCC news", "Document library"), ("PCC page", "Latest news")],
    [("HMICFRS 'our work' page", "Part of: Stalking and harassment"), ("gov.uk collection", "Part of: Crime recording")],
    [("a web report", "Contents"), ("another web report", "Contents"), ("gov.uk", "On this page")],
]
NOT_FURNITURE = ["Contact management", "Documents were reviewed by the force.", "Home Office", "Search powers",
                 "Menu of options for victims is limited.", "Published on: 17 November 2022",
                 "The force should read more about stalking.", "English and maths qualifications"]

PUBLICATION_LINES = [
    [("HMICFRS web report", "Published on: 17 November 2022"), ("gov.uk correspondence", "Published 4 June 2025"),
     ("PEEL other inspections page", "Published: 3 July 2015")],
    [("feed", "Published: 2022-10-14"), ("PCC site CMS", "Published on 2025-01-20")],
    [("HMIC page", "Published: 14/10/2015"), ("force site", "Published on 21/01/2020")],
    [("CJJI joint inspection", "Publication date: 6 May 2021"), ("CJJI custody thematic", "Publication date: 2 March 2022")],
    [("PEEL 2016 page", "Last updated 11/02/2016"), ("PEEL 2017 page", "Last updated 27/03/2018")],
    [("gov.uk consultation outcome", "Updated 3 August 2021"), ("gov.uk guidance", "Last updated: 3 May 2019")],
    [("aggregator feed item", " date 2026-02-27 HM Inspectorate of Constabulary"), ("news feed", "date 2024-06-03")],
]
STATED_DATES = [
    [("thematic title page", "September 2019"), ("revisit title page", "June 2016")],
    [("HMICFRS letter", "Sent on 4 March 2024"), ("another HMICFRS letter", "Sent on: 12 July 2023")],
    [("signed foreword", "30 June 2015"), ("Home Office letter", "2 February 2025")],
    [("HMIC press release", "#021/2013 Forces told to improve"), ("HMIC press release", "#003/2014 – Inspection of custody")],
    [("HMICFRS PDF", "© HMICFRS 2021"), ("custody PDF", "Crown copyright 2016"), ("HMIC PDF", "© HMIC 2013")],
]
PERIODS = [
    [("PEEL 2014 page", "Kent PEEL 2014"), ("PEEL 2021/22 news", "PEEL 2021/22 – An inspection of Kent Police"),
     ("PEEL 2023–25 report", "PEEL 2023–2025")],
    [("PEEL 2018/19 page", "PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – Kent Police"),
     ("another PEEL 2018/19 page", "PEEL: Police effectiveness, efficiency and legitimacy 2018/19 – Essex Police")],
    [("PCC news", "HMICFRS 2023/25 report published"), ("another PCC news item", "HMICFRS’s 2021/22 inspection")],
    [("HMICFRS letter", "in our 2021–22 police effectiveness, efficiency and legitimacy (PEEL) inspection"),
     ("another letter", "the 2023–25 PEEL inspection")],
    [("PEEL 2021/22 report", "judged against the PEEL Assessment Framework 2021/22"),
     ("PEEL 2023–25 report", "the PEEL Assessment Framework 2023–25")],
    [("State of Policing", "The Annual Assessment of Policing in 2013/14"),
     ("another State of Policing", "The Annual Assessment of Policing in England and Wales 2019")],
    [("State of Policing letter", "for the inspection year 2014-15"), ("another letter", "for the inspection year 2013/14")],
    [("CDI report", "Under its 2014/15 inspection programme HMIC examined every force"),
     ("PCC CDI page", "As part of its 2016/17 inspection programme")],
    [("inspection programme", "the policing inspection programme and framework for 2022/23"),
     ("consultation", "Draft policing inspection programme and framework 2021 to 2022")],
    [("integrity report", "in the 12 months to March 2015"), ("another integrity report", "the 12 months to June 2014")],
    [("custody report", "4–15 March 2019"), ("another custody report", "20–31 January 2020")],
    [("thematic", "covering what happened from April to October 2021"), ("another thematic", "from January to June 2019")],
]
PROGRAMME_RULES = [
    [("State of Policing", "State of Policing: The Annual Assessment of Policing in England and Wales 2019"),
     ("Home Office response", "State of Policing 2019 report: government response")],
    [("PCC page", "2017 Crime Data Integrity Inspection"), ("national report", "Crime-recording: the next steps")],
    [("integrity report", "An inspection of integrity arrangements in Kent Police"),
     ("integrity methodology", "Police integrity inspection programme – guidance")],
    [("abuse of position report", "Abuse of position for a sexual purpose: national overview"),
     ("abuse of position progress", "Abuse of position for a sexual purpose: progress report")],
    [("terms of reference", "Police integrity and corruption: terms of reference"),
     ("force integrity report", "Kent Police: police integrity and corruption 2015")],
    [("revisit of a force", "Revisiting police relationships: Essex"),
     ("another revisit", "Revisiting police relationships: progress report")],
    [("second S&S report", "Stop and search powers 2: an update"),
     ("first S&S report", "Stop and search powers: are the police using them fairly?")],
    [("custody report", "Report on an unannounced inspection visit to police custody suites in Kent"),
     ("custody thematic", "Custody services in a changing environment")],
    [("PEEL 2021/22 report", "the PEEL Assessment Framework 2021/22"),
     ("PEEL 2018/19 page", "HMICFRS’s fifth PEEL assessment of Kent Police"),
     ("PEEL 2023–25 report", "how good Kent Police is in ten areas of policing")],
    [("PEEL 2014 page", "Kent PEEL 2014"), ("PEEL 2016 page", "third PEEL assessment")],
    [("integrity report 2014", "ensure its workforce acts with integrity?"),
     ("another integrity report 2014", "workforce acts with integrity")],
    [("PCC response", "the effectiveness of Kent’s integrity arrangements"),
     ("vetting report", "vetting, professional standards and counter-corruption arrangements")],
    [("force response 2013", "Revisiting Police Relationships - Recommendations"),
     ("force action plan", "following HMIC's review of police relationships")],
    [("HMIC news", "its inspection of crime data integrity in police forces"),
     ("PCC page", "The most recent Crime Data Integrity Inspection for Kent")],
]
PILLAR_CUES = [
    [("PEEL 2016 page", "How effective is the force at protecting people who are vulnerable?"),
     ("PEEL 2014 page", "How well the force tackles crime")],
    [("PEEL 2017 page", "How efficient is the force at planning for the demand it will face?"),
     ("PCC response", "HMIC PEEL: Police Efficiency 2015")],
    [("PEEL 2017 page", "How legitimately does the force treat the people it serves?"),
     ("PEEL 2014 page", "Kent Police must act with integrity and provide a service people can trust")],
    [("PEEL 2015 page", "HMIC assessed how well led the force is"), ("PEEL 2016 page", "PEEL: Police leadership 2016")],
    [("PEEL 2015 page", "Surrey: a summary\nOTHER INSPECTIONS\nsee the thematic list"),
     ("another PEEL 2015 page", "Humberside\nOther Inspections\nJoint work with probation")],
]
KIND_RULES = [
    [("PCC", "RESPONSE ON HMIC PEEL LEGITIMACY REPORT DECEMBER 2017"),
     ("Home Office", "State of Policing 2019 report: government response"),
     ("a PCC", "Section 55 response: PEEL 2023–25 inspection of Kent Police")],
    [("PCC news", "In response to the report, Kent Police and Crime Commissioner, Ann Example, said"),
     ("PCC statement", "issued in response to the publication of the HMICFRS report")],
    [("PCC page", "PCC's response"), ("PCC page", "Commissioner's response")],
    [("force response", "This is being progressed.\nThis is now business as usual."),
     ("force action plan", "Action taken: new policy\nCurrent status: complete")],
    [("aggregator item", "Original article link: https://example.gov.uk/news/b"),
     ("aggregator item", "Original article link: https://example.gov.uk/news/c")],
    [("HMIC press release", "#021/2013 Forces told to improve"),
     ("HMICFRS news", "In a report published today, HM Inspectorate of Constabulary"),
     ("HMICFRS news", "Improvements are needed, the police inspectorate has said."),
     ("HMICFRS news", "Forces must do more to tackle fraud, says inspectorate")],
    [("PCC reports page", "x"), ("programme page", "x")],
    [("revisit", "Revisiting police relationships: progress report"),
     ("HMICFRS letter", "Kent Police: closure of cause of concern letter")],
    [("second report", "Part 1: Progress on recommendations made in HMIC’s 2014 report"),
     ("a revisit", "progress against the recommendations")],
    [("terms of reference", "Police integrity and corruption: terms of reference"),
     ("HMICFRS letter", "Kent Police: Enhanced monitoring decision")],
    [("HMICFRS letter", "Letter information"), ("Home Office letter", "Dear Matt,")],
]
SUBJECT_PHRASES = [
    [("PEEL 2021/22 news", "PEEL 2021/22 – An inspection of the Metropolitan Police"),
     ("PEEL news", "An inspection of Kent Police")],
    [("PEEL 2017 page", "Kent Police is judged to be good"), ("PEEL 2017 page", "Hampshire Constabulary is judged to be good")],
    [("PEEL 2021/22 report", "how good Essex Police is"), ("PEEL 2023–25 report", "how good Kent Police is")],
    [("custody report", "custody suites in Humberside"), ("custody report", "custody suites in Kent Police")],
    [("integrity report", "integrity arrangements in Surrey Police"), ("integrity report", "integrity arrangements in Kent Police")],
]

TABLES = {
    "furniture.FURNITURE": (furniture.FURNITURE, FURNITURE),
    "dates.PUBLICATION_LINES": (dates.PUBLICATION_LINES, PUBLICATION_LINES),
    "dates.STATED_DATES": (dates.STATED_DATES, STATED_DATES),
    "dates.PERIODS": (dates.PERIODS, PERIODS),
    "programmes.PROGRAMME_RULES": (programmes.PROGRAMME_RULES, PROGRAMME_RULES),
    "programmes.PILLAR_CUES": (programmes.PILLAR_CUES, PILLAR_CUES),
    "programmes.KIND_RULES": (programmes.KIND_RULES, KIND_RULES),
    "metadata.SUBJECT_PHRASES": (metadata.SUBJECT_PHRASES, SUBJECT_PHRASES),
}


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_examples_from_two_publications(name):
    table, examples = TABLES[name]
    assert len(examples) == len(table), f"{name}: {len(table)} rows but examples for {len(examples)}"
    for i, rows in enumerate(examples):
        assert len({pub for pub, _ in rows}) >= 2 or len(rows) >= 2 and len({e for _, e in rows}) >= 2, (name, i)


def _cases():
    for name, (table, examples) in TABLES.items():
        for i, rows in enumerate(examples):
            for pub, example in rows:
                yield pytest.param(name, i, example, id=f"{name}[{i}] {pub}")


@pytest.mark.parametrize("name,i,example", list(_cases()))
def test_each_row_matches_its_examples(name, i, example):
    table, _ = TABLES[name]
    row = table[i]
    if name == "furniture.FURNITURE":
        assert furniture.match(example) is row, f"{example!r} matched {furniture.match(example)}"
    elif name == "metadata.SUBJECT_PHRASES":
        force = r"(?:Metropolitan Police|Kent Police|Essex Police|Hampshire Constabulary|Humberside|Surrey Police)"
        assert re.search(row[0].replace("{force}", force), example), example
    elif isinstance(row, programmes.Rule) and row.scope == "listing":
        assert row.regex.search(example)  # the listing scope is decided by _is_listing (tested below)
    else:
        found = list(row.regex.finditer(example))
        assert found and len({m.group(0).lower() for m in found}) >= getattr(row, "hits", 1), example


@pytest.mark.parametrize("text", NOT_FURNITURE)
def test_report_text_is_not_furniture(text):
    assert not furniture.is_furniture(text)


@pytest.mark.parametrize("text,iso", [
    ("Published on: 17 November 2022", "2022-11-17"), ("Last updated 11/02/2016", "2016-02-11"),
    (" date 2026-02-27 HMICFRS", "2026-02-27"), ("Publication date: 6 May 2021", "2021-05-06"),
    ("Updated 3 August 2021", "2021-08-03"), ("Published 4 June 2025", "2025-06-04"),
])
def test_publication_lines_give_the_full_date(text, iso):
    assert dates.publication_line(text)[0] == iso


def test_the_earliest_date_line_wins_over_a_listed_report_date():
    page = "Updated 3 August 2021\n\nRelated joint inspections\n\nPublication date: 6 May 2021"
    assert dates.publication_line(page)[0] == "2021-08-03"


def test_stated_dates_ignore_inspection_dates_and_site_footers():
    assert dates.stated_date("x", "Report on a visit to custody suites 4–15 March 2019") is None
    assert dates.stated_date("© Copyright, Criminal Justice Joint Inspectorates 2030.", "t") is None
    assert dates.stated_date("Cover image © Kent Police", "t") is None
    assert dates.stated_date("x", "RESPONSE ON HMIC PEEL LEGITIMACY REPORT DECEMBER 2017")[0] == "2017-12"


@pytest.mark.parametrize("text,period", [
    ("Cambridgeshire PEEL 2018\n\nLegitimacy … the 2018/19 assessment", "PEEL 2018/19"),
    ("PEEL 2023–2025", "PEEL 2023–25"), ("in the 12 months to March 2014", "2013/14"),
    ("HMICFRS’s fifth PEEL assessment of Kent", "PEEL 2018/19"), ("the third PEEL assessment", "PEEL 2016"),
    ("What PEEL is\n\nIn 2014, PEEL began", None),
    ("for our PEEL inspection between 2 and 20 May 2024", None),
])
def test_periods(text, period):
    got = dates.period(text)
    assert (got[0] if got else None) == period


@pytest.mark.parametrize("period,programme,year", [
    ("PEEL 2016", "PEEL effectiveness", 2017), ("PEEL 2016", "PEEL efficiency", 2016),
    ("PEEL 2017", "PEEL legitimacy", 2017), ("PEEL 2017", "PEEL effectiveness", 2018),
    ("PEEL 2018/19", "PEEL integrated", 2019), ("PEEL 2021/22", "PEEL integrated", 2022),
])
def test_publishing_schedule_guesses_say_they_are_guesses(period, programme, year):
    got = metadata._guess_year("text", "title", programme, period)
    assert got.value == year and got.confidence == "low" and got.method.startswith("guess:")


def test_listing_pages_are_recognised_and_dated_by_their_latest_entry():
    page = ("Inspection reports 2023\n\n5th December 2023\n\nA thematic on stalking\n\n"
            "14th November 2023\n\nA custody inspection\n\n2nd October 2023\n\nAn inspection of fraud")
    assert metadata._is_listing(page)
    assert metadata._guess_year(page, "Inspection reports", None, None).value == 2023
    assert not metadata._is_listing("Published on: 17 November 2022\n\nOne report, one date.")


def test_national_publications_keep_their_example_forces_out_of_forces():
    text = ("State of Policing: The Annual Assessment of Policing in England and Wales 2019\n\n"
            "Cover image © Essex Police\n\n" + "Kent Police improved. " * 8 + "All 43 forces were inspected.")
    got = metadata.infer(text, [], "x")
    assert got["forces"].value == [] and got["programme"].value == "state of policing"
    assert got["kind"].value == "national inspection"
