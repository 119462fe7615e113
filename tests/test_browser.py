"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`
on 127.0.0.1, over a copy of the seed index. Screenshots of each step go to test-artifacts/."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT
from .helpers import free_port, wait_for

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]
TIMEOUT = 60_000

NEW_REPORT = """Dorset Police: integrity and corruption inspection 2016

Summary

Dorset Police has opened a night-time confidential reporting desk, staffed by two anti-corruption
investigators, so that reports of wrongdoing made after ten in the evening are read the same night.
HMIC found that staff trust the desk and use it.

Vetting

All officers and staff in Dorset Police hold current vetting clearance and the force has no vetting backlog.
"""


@pytest.fixture(scope="module")
def app_url(seeded_index, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    index = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(seeded_index, index)  # uploads and removals must not touch the shared seed index
    port = free_port()
    env = dict(os.environ, HMIQA_INDEX=str(index))
    log = open(index.parent / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok",
             "streamlit becoming healthy", 90, proc, lambda: (index.parent / "streamlit.log").read_text())
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url, request):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(app_url)
    pg.get_by_text("Ask what HMIC and HMICFRS found").wait_for()
    yield pg
    shot(pg, f"end-{request.node.name}")  # the page as the test left it, pass or fail
    ctx.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ask(page, question: str) -> None:
    before = page.locator('[data-testid="stChatMessage"]').count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=\"stChatMessage\"]').length >= {before + 2}", timeout=TIMEOUT)
    wait_idle(page)


def wait_idle(page) -> None:
    """Until Streamlit has finished the rerun (its status widget gone, twice in a row)."""
    page.wait_for_timeout(300)
    for _ in range(2):
        page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
        page.wait_for_timeout(300)


def last_answer(page):
    return page.locator('[data-testid="stChatMessage"]').last


def test_vetting_question_gives_a_timeline_with_citations(page):
    ask(page, "What progress has been made on vetting since 2014?")
    answer = last_answer(page)
    headings = answer.locator("h3").all_inner_texts()
    years = [h for h in headings if re.fullmatch(r"\d{4}", h.strip())]
    assert years and years == sorted(years) and "2014" in years[0] and years[-1].strip() == "2020"
    assert "Latest position (2020)" in answer.inner_text()
    sources = answer.locator('[data-testid="stExpander"]')
    assert sources.count() >= 3
    assert re.search(r"\[1\] .+ · (Cambridgeshire|Hampshire) · 20\d\d", sources.first.inner_text())
    assert "[1]" in answer.locator('[data-testid="stMarkdownContainer"]').nth(1).inner_text() or \
        "[1]" in answer.inner_text()
    chips = answer.get_by_role("button", name=re.compile(r"years: 2014–… ✕"))
    assert chips.count() == 1
    answer.locator('[data-testid="stChatMessageContent"]').first.evaluate("e => e.scrollIntoView()")
    page.wait_for_timeout(300)
    shot(page, "1-vetting-timeline")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet held upright
    wait_idle(page)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "no sideways scrolling on a tablet"
    assert page.get_by_test_id("stChatInputTextArea").is_visible()
    shot(page, "1b-tablet")


def test_opening_a_source_shows_the_report_with_the_passage_highlighted(page):
    ask(page, "Is Hampshire re-vetting its staff?")
    answer = last_answer(page)
    first = answer.locator('[data-testid="stExpander"]').first
    first.locator("summary").click()
    mark = first.locator("mark")
    mark.wait_for()
    quote = mark.inner_text()
    assert len(quote.split()) >= 4
    wait_idle(page)  # no rerun under way that could swallow the click
    first.get_by_role("button", name="Open the whole report here").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    frame = dialog.frame_locator("iframe")
    highlighted = frame.locator("mark#hl")
    highlighted.wait_for()  # the dialog's frame opens first; its body follows a moment later
    assert "Hampshire" in dialog.inner_text()
    assert " ".join(highlighted.inner_text().split()) == " ".join(quote.split())
    assert len(frame.locator("#report").inner_text()) > 20_000, "the whole report, not just the passage"
    visible = frame.locator("body").evaluate(
        "() => { const r = document.getElementById('hl').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert visible, "the highlighted passage is scrolled into view"
    shot(page, "2-source-viewer")
    page.keyboard.press("Escape")  # closed, it stays closed when the page reruns for the next question
    dialog.wait_for(state="hidden")
    ask(page, "What did HMIC recommend to Hampshire?")
    assert page.get_by_role("dialog").count() == 0


def test_a_force_filter_changes_the_answer(page):
    ask(page, "Are refused gifts recorded in the register?")
    before = last_answer(page).locator('[data-testid="stExpander"] summary').all_inner_texts()
    assert any("Cambridgeshire" in s for s in before)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stMultiSelect").first.click()
    page.get_by_role("option", name="Hampshire").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="The sidebar filters changed: ask this again with them").click()
    wait_idle(page)
    page.wait_for_function(
        "() => { const m = [...document.querySelectorAll('[data-testid=\"stChatMessage\"]')].pop();"
        " const s = [...m.querySelectorAll('[data-testid=\"stExpander\"] summary')];"
        " return s.length > 0 && s.every(e => e.innerText.includes('Hampshire')); }", timeout=TIMEOUT)
    after = last_answer(page).locator('[data-testid="stExpander"] summary').all_inner_texts()
    assert after != before and all("Hampshire" in s for s in after)
    shot(page, "3-force-filter")


def test_upload_a_new_report_then_ask_about_it(page, tmp_path):
    report = tmp_path / "dorset-integrity-2016.txt"
    report.write_text(NEW_REPORT)
    page.get_by_role("link", name="Corpus").click()
    page.get_by_role("heading", name="Corpus").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(report))
    page.get_by_text(re.compile(r"dorset-.*2016\.txt")).first.wait_for()  # the name is elided
    page.get_by_role("button", name="Add to the index").click()
    page.get_by_text(re.compile(r"dorset-integrity-2016\.txt: added \(\d+ passages\)")).wait_for()
    wait_idle(page)
    table = page.get_by_test_id("stDataFrame")
    table.wait_for()
    shot(page, "4a-upload-listed")
    assert page.get_by_text("5 reports indexed").count() == 0  # the sidebar of the Ask page is not shown here
    page.get_by_role("link", name="Ask").click()
    page.get_by_text("6 reports indexed").wait_for()
    ask(page, "What did HMIC find about the night-time confidential reporting desk in Dorset?")
    answer = last_answer(page)
    assert "night-time confidential reporting desk" in answer.inner_text()
    assert any("Dorset" in s for s in answer.locator('[data-testid="stExpander"] summary').all_inner_texts())
    shot(page, "4b-upload-cited")


def test_a_corrupt_pdf_upload_gets_a_clear_error(page, tmp_path):
    broken = tmp_path / "broken-report.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without an xref table\n")
    page.get_by_role("link", name="Corpus").click()
    page.get_by_role("heading", name="Corpus").wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(broken))
    page.get_by_text(re.compile(r"broken-.*\.pdf")).first.wait_for()
    page.get_by_role("button", name="Add to the index").click()
    error = page.get_by_test_id("stAlertContentError")
    error.first.wait_for()
    text = error.first.inner_text()
    assert "broken-report.pdf could not be added" in text and "Nothing in the index changed" in text
    shot(page, "5-corrupt-pdf")


def test_a_refusal_shows_the_closest_passages_and_opens_them_in_the_report(page):
    ask(page, "What did HMIC say about police use of drones?")
    answer = last_answer(page)
    assert "do not answer this" in answer.inner_text()
    assert "Closest passages" in answer.inner_text() and "Sources" not in answer.inner_text()
    first = answer.locator('[data-testid="stExpander"]').first
    first.locator("summary").click()
    mark = first.locator("mark")
    mark.wait_for()
    quote = mark.inner_text()
    wait_idle(page)
    first.get_by_role("button", name="Open the whole report here").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    highlighted = dialog.frame_locator("iframe").locator("mark#hl")
    highlighted.wait_for()
    assert " ".join(highlighted.inner_text().split()) == " ".join(quote.split())
    page.keyboard.press("Escape")


def test_the_brief_page_follows_a_recommendation_to_later_evidence(page):
    page.get_by_role("link", name="Brief").click()
    page.get_by_role("heading", name="Fieldwork brief").wait_for()
    wait_idle(page)
    sidebar_free = page.get_by_test_id("stMain")
    force = sidebar_free.get_by_test_id("stSelectbox").first
    force.click()
    page.get_by_role("option", name="Cambridgeshire").click()
    wait_idle(page)
    page.get_by_role("heading", name="Open recommendations and areas for improvement").wait_for()
    main = page.get_by_test_id("stMain")
    text = main.inner_text()
    assert "Within six months, the force should ensure that it complies, as far as practicable, with the current " \
           "national vetting policy" in text
    assert "The force has recently made encouraging progress in improving its vetting procedures." in text
    assert "With respect to the first issue, there has been limited progress." in text
    assert "Suggested lines of enquiry" in text
    shot(page, "6a-brief")
    sources = main.locator('[data-testid="stExpander"]')
    assert sources.count() > 10
    first = sources.first
    first.locator("summary").click()
    first.get_by_role("button", name="Open the whole report here").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.frame_locator("iframe").locator("mark#hl").wait_for()
    shot(page, "6b-brief-source")


def test_an_image_link_inside_a_cited_report_is_shown_as_text_and_never_fetched(page, tmp_path):
    """A report is data: quoting its sentence must not make the officer's browser fetch what it links."""
    import http.server
    import threading

    hits: list[str] = []

    class Record(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Record)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        report = tmp_path / "wiltshire-custody-2019.txt"
        report.write_text(
            "Wiltshire Police: custody inspection 2019\n\nFindings\n\nIn the custody suite at Melksham every "
            f"detainee was offered a hot meal ![pixel](http://127.0.0.1:{port}/pixel.png) within four hours "
            f"<img src=\"http://127.0.0.1:{port}/tag.png\"> of arrival [7].\n")
        page.get_by_role("link", name="Corpus").click()
        page.get_by_role("heading", name="Corpus").wait_for()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(report))
        page.get_by_role("button", name="Add to the index").click()
        page.get_by_text(re.compile(r"wiltshire-custody-2019\.txt: added")).wait_for()
        wait_idle(page)
        page.get_by_role("link", name="Ask").click()
        page.get_by_text("Ask what HMIC and HMICFRS found").wait_for()
        ask(page, "Was every detainee at Melksham offered a hot meal?")
        answer = last_answer(page)
        text = answer.inner_text()
        assert "hot meal" in text and f"![pixel](http://127.0.0.1:{port}/pixel.png)" in text, text
        assert answer.locator("img").count() == 0
        answer.locator('[data-testid="stExpander"] summary').first.click()  # the quote in its passage
        wait_idle(page)
        page.wait_for_timeout(1000)
        shot(page, "7-inert-report-text")
        assert hits == [], f"the browser fetched {hits} from a link inside a report"
    finally:
        server.shutdown()
