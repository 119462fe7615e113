"""Web and document-host furniture: the lines a saved page carries that are not the publication.

One row per kind of furniture, each with the publications it was seen on. A row matches a whole
block (a line or paragraph) after whitespace is collapsed; `then` also drops the block that follows
when it matches (a banner's heading and its sentence). Cleaning drops what matches, title inference
never picks it, and the evaluation counts a title that matches as furniture.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Furniture:
    pattern: str
    serves: str
    then: str | None = None  # the banner's body, dropped with it

    @property
    def regex(self) -> re.Pattern:
        return _compiled(self.pattern)

    @property
    def then_regex(self) -> re.Pattern | None:
        return _compiled(self.then) if self.then else None


_CACHE: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    if pattern not in _CACHE:
        _CACHE[pattern] = re.compile(rf"(?:{pattern})", re.I)
    return _CACHE[pattern]


FURNITURE: list[Furniture] = [
    Furniture(r"skip to (?:main )?content|back to top|jump to (?:navigation|content)",
              "skip links: every HMICFRS, gov.uk and PCC page"),
    Furniture(r"(?:open |close )?menu|search(?: this site)?|home|navigation|breadcrumbs?|<<|>>|«|»",
              "navigation words standing alone"),
    Furniture(r"(?:are you ok with|we use|about|accept|reject|manage|set)\b.{0,40}cookies.*|cookies? on .*|"
              r"cookie (?:settings|policy|preferences)|which cookies are you happy .*",
              "cookie banners (HMICFRS site, gov.uk, CJJI)"),
    Furniture(r"planned website downtime", "HMICFRS site maintenance banner on archived PEEL pages",
              then=r"the [\w ]*website will be unavailable.*"),
    Furniture(r"the [\w ]*website will be unavailable.*", "the body of a downtime banner"),
    Furniture(r".{0,160}: for consultation|(?:hmic|hmicfrs) is consulting on .{0,160}",
              "consultation banners on archived HMIC/HMICFRS pages",
              then=r"(?:we would like your views|please give us your views).*"),
    Furniture(r"(?:we would like your views|please give us your views).{0,200}", "the body of a consultation banner"),
    Furniture(r"print (?:this )?(?:document|page|report)|share (?:this )?(?:page|report)|email this page|"
              r"download (?:this )?(?:page|report)(?: \(pdf[^)]*\))?",
              "page tools on HMICFRS web reports and gov.uk"),
    Furniture(r"read more about .{1,60}", "PEEL force pages (2014–2019): link to the force's other pages"),
    Furniture(r"contact (?-i:(?!Management|Centre|Center|Handling|Us\b)(?:[A-Z][\w’'.-]+ ){1,3}[A-Z][\w’'-]+)",
              "PEEL force pages: link to the inspector ('Contact <name>')"),
    Furniture(r"get the report(?: ?:.*)?", "HMICFRS news releases: link to the report"),
    Furniture(r"os hoffech chi ddarllen hwn.*|(?:read|view) (?:this|the report) in welsh.*|cymraeg|english",
              "Welsh-language switches on Welsh forces' pages"),
    Furniture(r"(?:change |increase |decrease )?text size.*|a\s?a\s?a|high contrast|accessibility tools?",
              "text-size and contrast switches"),
    Furniture(r"upload: .*|post(?:ed)? on \d{1,2}-[a-z]{3}-\d{4}|\d+ views?|\d+ downloads?|category:?|"
              r"transcript|documents|download (?:now|pdf)|report this (?:link|document)",
              "document-sharing hosts that re-publish PDFs (their upload date is not the publication's)"),
    Furniture(r"page \d{1,3}: .*|.{5,200}? · .{0,200}(?:\.\.\.|…)",
              "document-sharing hosts: search-result snippets and transcript page markers"),
    Furniture(r"all content is available under the open government licence.*|to view this licence, visit:?|"
              r"or write to:?|information policy team,?|the national archives,?|london tw9 4du|or email:?|"
              r"this publication is available at:?|© copyright,? .{0,80}",
              "gov.uk and CJJI site footers (the site's copyright year is not the publication's)"),
    Furniture(r"original article link: ?\S*", "news aggregators (Wired-Gov) re-publishing HMICFRS news"),
    Furniture(r"looking for .{1,40}\?|do you need the police\?.*|document library|latest news|related (?:content|links)",
              "police and crime commissioners' sites"),
    Furniture(r"part of: .*", "gov.uk 'Part of:' collection links"),
    Furniture(r"contents|table of contents|on this page", "contents headings (the list under one is dropped too)"),
]

CONTENTS_HEADING = re.compile(r"(?:table of )?contents|on this page", re.I)
# a contents entry: dot leaders to a page number, a numbered heading, or a heading ending in its page
CONTENTS_ENTRY = re.compile(
    r"^(?:.{2,160}?\s*(?:\.\s?){3,}\s*\d{1,3}|(?:\d{1,2}\.\s*){1,3}[^!]{2,160}|"
    r"(?:(?:part|section|chapter|annex|appendix) [\w.]+[.:–-]? )?[\w‘“'\"][^!]{1,160}?\s\d{1,3})$", re.I)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _match_line(t: str) -> Furniture | None:
    if not t or len(t) > 400:
        return None
    for row in FURNITURE:
        if row.regex.fullmatch(t):
            return row
    return None


def match(text: str) -> Furniture | None:
    """The furniture row a whole block matches, if any; a block whose every line is furniture
    (a footer's lines joined into one paragraph) matches its first line's row."""
    row = _match_line(_norm(text))
    if row is not None or "\n" not in text.strip():
        return row
    rows = [_match_line(_norm(ln)) for ln in text.split("\n") if ln.strip()]
    return rows[0] if rows and all(rows) else None


def is_furniture(text: str) -> bool:
    return match(text) is not None


def is_contents_entry(text: str) -> bool:
    """A line of a contents list ("Executive summary ...... 4", "2. Introduction", "Summary 2")."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()] or [text]
    return all(CONTENTS_ENTRY.match(_norm(ln)) and len(ln.split()) <= 30 for ln in lines)
