"""Report text shown inside Markdown stays text.

A report is data, not markup: an image link in it (`![x](http://…)`) would make the reader's browser
fetch an outside address when a sentence is quoted, a link or raw HTML would be live, and a footnote
mark such as "[3]" would sit beside the answer's own citation markers and look like support. Every
place that puts report text into Markdown (answers, the findings tracker, the brief, exports, the
app) passes it through `inert`; the JSON `quote` stays exact.
"""
from __future__ import annotations

import re

_MARK = re.compile(r"(\[\d{1,3}\])")
_SPECIAL = re.compile(r"([\\`\[\]<])")  # no link, image, autolink or HTML tag opens without these ("<" escaped, a ">" is text)


def inert(text: str) -> str:
    """`text` for Markdown: link, image and HTML syntax escaped; a bracketed number from the report
    set in code, apart from the answer's markers."""
    out = []
    for part in _MARK.split(text):
        if _MARK.fullmatch(part):
            out.append(f"`{part}`")
        elif part:
            out.append(_SPECIAL.sub(r"\\\1", part))
    return "".join(out)
