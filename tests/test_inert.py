"""Report text is data: what a report says never becomes a live link, an image, HTML or a citation
marker in the Markdown an answer, a tracker section, a brief or an export is shown in."""
from __future__ import annotations

import re

from assistant.export import conversation_markdown
from assistant.inert import inert

REPORT = """Dorset Police: custody inspection 2019

Summary

The custody suite at Weymouth holds 20 cells and ![pixel](http://127.0.0.1:9/x.png) detainees there were seen by a nurse within the hour [12].
Staff at the custody suite follow <img src=x onerror="alert(1)"> the national guidance on detainee welfare and [a link](javascript:alert(1)) safety checks.
"""


def test_quotes_in_an_answer_are_inert_and_their_json_exact(fresh, tmp_path):
    report = tmp_path / "dorset.txt"
    report.write_text(REPORT)
    assert fresh.ingest([report]).ok
    answer = fresh.ask("How quickly were detainees in the Weymouth custody suite seen by a nurse?")
    assert answer.citations, answer.answer
    quote = next(c.quote for c in answer.citations if "nurse" in c.quote)
    assert "![pixel](http://127.0.0.1:9/x.png)" in quote and quote.endswith("[12].")  # the JSON is exact
    body = answer.answer
    # no image, link or tag can open: every "[", "]" and "<" from the report is escaped
    for opener in (r"!\[", r"\]\(", r"<img", r"<"):
        assert not re.search(r"(?<!\\)" + opener, body), (opener, body)
    assert "!\\[pixel\\](http://127.0.0.1:9/x.png)" in body
    # the report's own "[12]" is set apart; the answer's markers are the only bare [n]
    markers = {int(n) for n in re.findall(r"(?<![`\\])\[(\d+)\](?!`)", body)}
    assert markers == {c.n for c in answer.citations}
    assert "`[12]`" in body
    exported = conversation_markdown([(answer.question, answer)])
    assert not re.search(r"(?<!\\)!\[", exported) and not re.search(r"(?<!\\)<img", exported)


def test_inert_escapes_what_opens_markup_and_nothing_else():
    assert inert('See <img src=x onerror="alert(1)"> and [a link](javascript:x).') == \
        'See \\<img src=x onerror="alert(1)"> and \\[a link\\](javascript:x).'
    assert inert("Plain words, 20% of cases (most) - fine.") == "Plain words, 20% of cases (most) - fine."
    assert inert("as noted [3] and [4]") == "as noted `[3]` and `[4]`"
