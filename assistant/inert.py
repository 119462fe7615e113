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


# characters XML 1.0 (and so a Word file) cannot hold: C0 controls but tab, newline and carriage return,
# lone surrogates, U+FFFE and U+FFFF. A PDF's extraction can leave any of them in a sentence.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def word_text(text: str) -> str:
    """`text` as a Word document can hold it: a vertical tab or form feed becomes a space, and the other
    characters XML cannot carry are dropped. Only the Word export needs it: JSON quotes stay exact."""
    return _NOT_XML.sub(lambda m: " " if m.group(0) in "\x0b\x0c" else "", text)
