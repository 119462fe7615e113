"""When a publication was published, and which period it covers: rules as rows of data.

Three tables, each row naming the publications it serves:
- PUBLICATION_LINES: the date line a page or report prints for itself ("Published on: 17 November
  2022", "Last updated 11/02/2016", "date 2026-02-27"). The earliest in the text wins: a later
  "Published:" usually dates another report the page lists.
- STATED_DATES: weaker evidence printed on the publication (a title-page "April 2019", a copyright
  line, a press-release number, a letter's date), tried in order when there is no date line.
- PERIODS: the cycle or period a publication covers ("PEEL 2018/19", "12 months to March 2014").
A year that is only inferred (a programme's publishing schedule, the latest date a listing shows)
comes from GUESSES in ingest/metadata.py and says it is a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MON = "(?P<mon>" + "|".join(MONTHS + [m[:3] for m in MONTHS if m != "may"] + ["sept"]) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
DMY = rf"{_DAY}\s+{_MON},?\s+{_YEAR}"          # 17 November 2022, 10th October 2024
NUMERIC = r"(?P<day>\d{1,2})/(?P<num>\d{1,2})/(?P<year>(?:19|20)\d{2})"  # 11/02/2016 (UK order)
ISO = r"(?P<year>(?:19|20)\d{2})-(?P<num>\d{2})-(?P<day>\d{2})"
MY = rf"{_MON}\s+{_YEAR}"                       # April 2019


@dataclass(frozen=True)
class DateRule:
    name: str
    pattern: str
    confidence: str
    serves: str
    scope: int | None = None  # look only in the first N characters (a title page); None: anywhere

    @property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern, re.I | re.M)


PUBLICATION_LINES = [
    DateRule("'Published on' line", rf"^[ \t]*published(?: on)?:?[ \t]+{DMY}", "high",
             "HMICFRS web reports since 2021, gov.uk ('Published 4 June 2025'), older 'Published:' lines"),
    DateRule("'Published' line (ISO)", rf"^[ \t]*published(?: on)?:?[ \t]+{ISO}", "high",
             "feeds and CMS pages printing 'Published: 2022-10-14'"),
    DateRule("'Published' line (numeric)", rf"^[ \t]*published(?: on)?:?[ \t]+{NUMERIC}", "high",
             "older HMIC pages printing 'Published: dd/mm/yyyy'"),
    DateRule("'Publication date' line", rf"^[ \t]*publication date:?[ \t]+{DMY}", "high",
             "CJJI joint inspection pages"),
    DateRule("'Last updated' line", rf"^[ \t]*(?:last )?updated:?[ \t]+{NUMERIC}", "high",
             "HMIC/HMICFRS PEEL pages 2014–2019 (the pillar's publication stamp)"),
    DateRule("'Updated' line", rf"^[ \t]*(?:last )?updated:?[ \t]+{DMY}", "medium",
             "gov.uk pages ('Updated 3 August 2021'): the latest edition's date"),
    DateRule("feed 'date' line", rf"^[ \t]*date:?[ \t]+{ISO}", "high",
             "news feeds and aggregators (' date 2026-02-27 HMICFRS …')"),
]

STATED_DATES = [
    DateRule("title-page date", rf"^[ \t]*{MY}[ \t]*$", "high",
             "PDF reports' title pages ('September 2019', 'December 2012')", scope=1500),
    DateRule("letter 'Sent on' date", rf"^[ \t]*sent on:?\s+{DMY}", "medium",
             "HMICFRS letters to forces and PCCs"),
    DateRule("date line of a letter or foreword", rf"^[ \t]*{DMY}[ \t]*$", "medium",
             "letters and signed forewords (State of Policing 2012/13, Home Office responses)", scope=3000),
    DateRule("press-release number", r"^[ \t]*#\d{1,3}/(?P<year>(?:19|20)\d{2})\b", "medium",
             "HMIC press releases 2010–2014 ('#021/2013')"),
    DateRule("copyright line", r"(?:©\s*(?:crown copyright\s*)?(?:HMIC(?:FRS)?\s*)?|crown copyright\s+)"
             r"(?P<year>(?:19|20)\d{2})\b", "medium",
             "HMIC/HMICFRS PDF reports ('© HMICFRS 2021', 'Crown copyright 2016'); site footers are furniture"),
]


@dataclass(frozen=True)
class PeriodRule:
    name: str
    pattern: str
    form: str  # how the period is written back: 'peel', 'span', 'year', 'months-to', 'dates'
    serves: str

    @property
    def regex(self) -> re.Pattern:
        return re.compile(self.pattern, re.I | re.M)


_Y2 = r"(?P<end>(?:19|20)?\d{2})"
PERIODS = [
    PeriodRule("PEEL cycle", rf"\bPEEL[: \t]+(?:(?:police )?(?:effectiveness|efficiency|legitimacy|leadership)[: \t]+)?{_YEAR}(?:\s*[/–-]\s*{_Y2})?\b(?![/–-]\d)", "peel",
               "PEEL pages and reports: 'PEEL 2015', 'PEEL 2018/19', 'PEEL 2021/22 – An inspection of …', 'PEEL 2023–2025'"),
    PeriodRule("PEEL cycle (named in full)", rf"\bPEEL[: \t]+[^.\n]{{0,70}}?\s{_YEAR}\s*[/–-]\s*{_Y2}\b", "peel",
               "PEEL 2018/19 pages: 'PEEL: Police effectiveness, efficiency and legitimacy 2018/19'"),
    PeriodRule("cycle of a report", rf"\b(?:HMICFRS|HMIC|PEEL)[’']?s?\s+{_YEAR}\s*/\s*{_Y2}\s+(?:report|inspection|assessment)",
               "peel", "PCC news announcing a report ('HMICFRS <cycle> report published')"),
    PeriodRule("PEEL cycle (year first)", rf"\b{_YEAR}\s*[/–-]\s*{_Y2}\s+(?:PEEL|police effectiveness)", "peel",
               "letters and news: 'our <cycle> police effectiveness, efficiency and legitimacy (PEEL) inspection'"),
    PeriodRule("PEEL framework", rf"PEEL Assessment Framework\s+{_YEAR}\s*[/–-]\s*{_Y2}", "peel",
               "PEEL 2021/22 and later reports"),
    PeriodRule("annual assessment", rf"Annual Assessment of Policing in (?:England and Wales )?{_YEAR}"
               rf"(?:\s*[/–-]\s*{_Y2})?", "span", "State of Policing reports"),
    PeriodRule("inspection year", rf"inspection year {_YEAR}\s*[/–-]\s*{_Y2}", "span",
               "statutory reports naming their inspection year"),
    PeriodRule("inspection programme year", rf"\b{_YEAR}\s*(?:/|–|-| to )\s*{_Y2}\s+(?:police\s+)?inspection programme",
               "span", "reports made under an inspection programme ('In its 2013/14 inspection programme')"),
    PeriodRule("programme's own year", rf"inspection programme(?: and framework)?\s+(?:for\s+)?{_YEAR}\s*(?:/|–|-| to )"
               rf"\s*{_Y2}", "span", "inspection programmes and consultations ('… programme and framework 2020 to 2021')"),
    PeriodRule("data period", rf"12 months to {_MON}\s+{_YEAR}", "months-to",
               "integrity and corruption reports 2014 ('the 12 months to March 2014')"),
    PeriodRule("inspection dates", rf"\b(?P<d1>\d{{1,2}})\s*[–-]\s*{_DAY}\s+{_MON}\s+{_YEAR}", "dates",
               "joint custody inspections ('4–15 March 2019')"),
    PeriodRule("months covered", rf"\bfrom (?P<m1>[A-Z][a-z]+) (?:\d{{4}} )?to {_MON}\s+{_YEAR}", "dates",
               "thematic reports ('from April to October 2021')"),
]

# Pages of the PEEL programme 2014–2019 count their cycle ("HMIC's third PEEL assessment").
PEEL_ORDINALS = {"first": "PEEL 2014", "second": "PEEL 2015", "third": "PEEL 2016", "fourth": "PEEL 2017",
                 "fifth": "PEEL 2018/19"}


def month_number(name: str) -> int:
    key = name.lower().rstrip(".")[:3]
    return [m[:3] for m in MONTHS].index(key) + 1


def iso_from(m: re.Match) -> str:
    """YYYY-MM-DD, YYYY-MM or YYYY from a match with groups year and optionally mon/num and day."""
    g = m.groupdict()
    y = int(g["year"])
    month = int(g["num"]) if g.get("num") else month_number(g["mon"]) if g.get("mon") else None
    if month is None or not 1 <= month <= 12:
        return f"{y:04d}"
    day = int(g["day"]) if g.get("day") else None
    if day is None or not 1 <= day <= 31:
        return f"{y:04d}-{month:02d}"
    return f"{y:04d}-{month:02d}-{day:02d}"


def plausible(iso: str) -> bool:
    return 1990 <= int(iso[:4]) <= 2100


def publication_line(text: str) -> tuple[str, str, str] | None:
    """(iso date, evidence, confidence) of the earliest date line the publication prints for itself."""
    best = None
    for rule in PUBLICATION_LINES:
        m = rule.regex.search(text)
        if m and plausible(iso_from(m)) and (best is None or m.start() < best[0]):
            best = (m.start(), iso_from(m), f"{rule.name} '{_quote(m)}'", rule.confidence)
    return best[1:] if best else None


def stated_date(text: str, title: str) -> tuple[str, str, str] | None:
    m = re.search(MY, title or "", re.I)
    ranged = re.search(rf"\d{{1,2}}\s*[–-]\s*\d{{1,2}}\s+{MY}", title or "", re.I)  # inspection dates, not publication
    if m and not ranged and plausible(iso_from(m)):
        return iso_from(m), f"month and year in the title '{_quote(m)}'", "medium"
    for rule in STATED_DATES:
        scope = text[:rule.scope] if rule.scope else text
        m = rule.regex.search(scope)
        if m and plausible(iso_from(m)):
            return iso_from(m), f"{rule.name} '{_quote(m)}'", rule.confidence
    return None


def period(text: str) -> tuple[str, int, str] | None:
    """(period as written back, its first year, evidence) for the first period rule that matches."""
    for rule in PERIODS:
        m = rule.regex.search(text)
        if not m:
            continue
        g = m.groupdict()
        y = int(g["year"])
        end = g.get("end")
        if rule.form == "months-to":  # data to March 2014 were collected by the 2014 inspection
            return f"{y - 1}/{str(y)[2:]}", y, f"{rule.name} '{_quote(m)}'"
        if rule.form == "dates":
            return " ".join(m.group(0).split()), y, f"{rule.name} '{_quote(m)}'"
        span = ""
        if not end and rule.form == "peel":  # "PEEL 2018" on a page of the 2018/19 cycle
            full = re.search(rf"\b{y}/(\d{{2}})\b", text)
            end = full.group(1) if full else None
        if end:
            last = int(end) if len(end) == 4 else y // 100 * 100 + int(end)
            if not y < last <= y + 3:
                continue
            span = f"/{str(last)[2:]}" if last == y + 1 else f"–{str(last)[2:]}"
        prefix = "PEEL " if rule.form == "peel" else ""
        return f"{prefix}{y}{span}", y, f"{rule.name} '{_quote(m)}'"
    m = re.search(r"\b(first|second|third|fourth|fifth) PEEL\b", text, re.I)
    if m:
        value = PEEL_ORDINALS[m.group(1).lower()]
        return value, int(value[5:9]), f"PEEL cycle counted '{_quote(m)}'"
    return None


def all_dates(text: str) -> list[str]:
    return [iso_from(m) for m in re.finditer(DMY, text, re.I) if plausible(iso_from(m))]


def _quote(m: re.Match) -> str:
    return " ".join(m.group(0).split())[:80]
