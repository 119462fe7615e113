"""HTML for passages and whole reports with the cited quote highlighted."""
from __future__ import annotations

import html

MARK_STYLE = "background:#ffe58a;padding:0 2px;border-radius:2px"


def highlighted(text: str, start: int, end: int, mark_id: str = "") -> str:
    """`text` as escaped HTML with text[start:end] in a <mark>; paragraph breaks kept."""
    start, end = max(0, start), min(len(text), end)
    ident = f' id="{mark_id}"' if mark_id else ""
    body = (html.escape(text[:start]) + f'<mark{ident} style="{MARK_STYLE}">' + html.escape(text[start:end])
            + "</mark>" + html.escape(text[end:]))
    return body.replace("\n", "<br>")


def passage_html(passage_text: str, quote: str, quote_offset: int) -> str:
    return (f'<div class="hmiqa-passage" style="font-size:0.95rem;line-height:1.5">'
            f"{highlighted(passage_text, quote_offset, quote_offset + len(quote))}</div>")


def report_html(text: str, start: int, end: int) -> str:
    """The whole report in a scrolling frame that opens at the highlighted passage."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font-family: "Source Sans Pro", system-ui, sans-serif; font-size: 16px; line-height: 1.55;
       color: #262730; margin: 0; padding: 0 12px; }}
</style></head><body><div id="report">{highlighted(text, start, end, "hl")}</div>
<script>document.getElementById("hl").scrollIntoView({{block: "center"}});</script></body></html>"""
