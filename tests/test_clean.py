"""Each cleaning rule, on the artifacts as they occur in the seed reports."""
from __future__ import annotations

import re

import pytest

from ingest.clean import clean, normalise
from ingest.loaders import load

from .conftest import CAMBS_2012, CAMBS_2014, HANTS_2014, PEEL_2018, RESPONSE


@pytest.fixture(scope="module")
def cambs():
    return clean(CAMBS_2014.read_text())


def test_hyphenated_line_break_is_joined_keeping_the_hyphen(cambs):
    assert "full-\ntime" in CAMBS_2014.read_text()
    assert "There has been no full-time analyst for nine months" in cambs.text


def test_hard_wrapped_lines_become_one_paragraph(cambs):
    para = ("The constabulary does not identify staff or groups vulnerable to corruption by, for example, "
            "profiling officers and staff who may face debt problems.")
    assert para in cambs.text


def test_page_break_marks_and_page_numbers_are_removed(cambs):
    assert not re.search(r"^ \S", cambs.text, re.M)
    assert not re.search(r"\n\n5\n\n", cambs.text)
    assert len(cambs.pages) == 20 and cambs.pages == sorted(cambs.pages)


def test_running_header_is_kept_once_as_the_section_heading(cambs):
    q = ("What progress has the force made in communicating and embedding ethical and professional "
         "behaviour to all staff, including the new Code of Ethics?")
    raw = normalise(CAMBS_2014.read_text())
    assert raw.count(q) >= 3
    headings = [s for s in cambs.sections if s.title == q]
    assert len(headings) == 1 and headings[0].level == 1
    # besides the heading, only the page-one summary graphic still quotes the question
    assert cambs.text.count(q) == 2
    leadership = next(s for s in cambs.sections if s.title == "Leadership and governance")
    assert leadership.path.startswith(q)


def test_infographic_columns_are_reflowed_into_sentences(cambs):
    assert "The PSD and the\nanti-corruption unit" not in cambs.text
    assert "\n\nThe PSD and the anti-corruption unit (ACU) do not have the capacity to be proactive.\n\n" in cambs.text


def test_bullets_are_normalised():
    hants = clean(HANTS_2014.read_text())
    assert "- To raise staff awareness of the media policy and reporting procedures." in hants.text
    assert "•" not in hants.text
    assert "■" not in clean(CAMBS_2012.read_text()).text


def test_a_paragraph_repeated_verbatim_is_kept_once(cambs):
    text = "How well does the force prevent, identify and investigate corruption?"
    assert normalise(CAMBS_2014.read_text()).count(text) >= 3
    assert cambs.stats["duplicate_paragraphs"] >= 1
    titles = {s.title for s in cambs.sections}
    paras = [p for p in cambs.text.split("\n\n") if len(p.split()) >= 8 and p not in titles]
    assert len(paras) == len(set(paras))


def test_web_chrome_is_dropped():
    peel = clean(PEEL_2018.read_text())
    assert "skip to content" not in peel.text.lower()
    assert "For consultation" not in peel.text
    assert "We would like your views" not in peel.text
    assert peel.text.startswith("Cambridgeshire PEEL 2018")


def test_force_in_numbers_labels_and_values_are_paired(cambs):
    assert "Total public complaints against officers and staff, 12 months to March 2014: 356\n" in cambs.text
    assert "Total conduct cases against officers and staff, per 100 workforce – England and Wales: 2.6" in cambs.text
    assert "Proportion of workforce in PSD/ACU: 0.8%" in cambs.text
    hants = clean(HANTS_2014.read_text())
    assert "Total public complaints against officers and staff, 12 months to March 2014: 939" in hants.text


def test_label_and_value_counts_that_differ_are_left_alone():
    raw = "Complaints\n\nTotal complaints in the year\n\nTotal conduct cases in the year\n\n356\n\n12\n\n7\n"
    out = clean(raw)
    assert ": 356" not in out.text and "356" in out.text


def test_words_are_kept_exactly():
    """Cleaning removes artifacts; it never invents or alters a word."""
    for path in (CAMBS_2014, HANTS_2014, PEEL_2018, RESPONSE, CAMBS_2012):
        raw = path.read_text()
        raw_words = set(re.findall(r"[\w’'/&£%.-]+", re.sub(r"-\n", "-", raw).replace("**", "")))
        for word in re.findall(r"[\w’'/&£%.-]+", clean(raw).text.replace("\n- ", "\n")):
            assert word in raw_words or word.strip(".") in raw_words, (path.name, word)


def test_response_document_splits_recommendation_from_response():
    text = clean(RESPONSE.read_text()).text
    assert ("The College of Policing should quickly develop sound professional standards for training and "
            "development in connection with issues of integrity.\n\nThis is being progressed") in text


def test_html_loader_drops_navigation_and_keeps_structure(tmp_path):
    page = tmp_path / "report.html"
    page.write_text("<html><body><a href='#main'>Skip to main content</a><nav>Home | Reports</nav>"
                    "<main><h1>Kent PEEL 2021/22</h1><p>The force is <b>good</b> at vetting.</p>"
                    "<ul><li>It should clear its backlog.</li><li>It should train staff.</li></ul></main>"
                    "<footer>Cookies</footer></body></html>")
    raw = load(page)
    out = clean(raw.text, paged=raw.paged)
    assert "Home | Reports" not in out.text and "Cookies" not in out.text
    assert "The force is good at vetting." in out.text
    assert "- It should clear its backlog.\n\n- It should train staff." in out.text
    assert out.sections[0].title == "Kent PEEL 2021/22"


def test_pdf_pages_become_char_offsets(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    for n, body in enumerate(["The force has a vetting backlog of 300 officers.",
                              "Within six months, the force should clear the backlog."], start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, body)
        pdf.cell(0, 8, str(n))
    path = tmp_path / "r.pdf"
    pdf.output(str(path))
    raw = load(path)
    out = clean(raw.text, paged=raw.paged)
    assert len(out.pages) == 2
    second = out.text.index("Within six months")
    assert out.pages[0] == 0 and out.pages[1] <= second
    assert out.text[out.pages[1]:].startswith("Within six months")
