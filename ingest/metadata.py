"""Infer what a report is (force, dates, programme, title) from its cleaned text.

Each field comes back with the method that found it and a confidence, so a user can see why the
index believes a report is "Cambridgeshire 2014" and correct it with a sidecar manifest.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import forces as force_table
from .errors import IngestError
from .records import Field, Section

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
MONTH_RE = "(" + "|".join(m.capitalize() for m in MONTHS) + ")"
SLOGANS = re.compile(r"^(inspecting policing in the public interest|promoting improvements in policing.*|"
                     r"hmic|hmicfrs|her majesty'?s inspectorate.*)$", re.I)
MANIFEST_FIELDS = {"title", "forces", "year", "published", "inspection_year", "period",
                   "report_type", "inspectorate", "url"}

REPORT_TYPES = [
    # (report_type, test on (head, text, headings)), most specific first
    ("force response to recommendations",
     lambda h, t, hs: sum(bool(re.search(r"recommendations$", x, re.I)) for x in hs) >= 2
     and re.search(r"\b(is being progressed|has been (adopted|publicised)|business as usual|"
                   r"the constabulary has adopted|in response to)\b", t, re.I)),
    ("PEEL legitimacy", lambda h, t, hs: re.search(r"\bPEEL\b", h) and re.search(r"legitimacy", h, re.I)),
    ("PEEL effectiveness", lambda h, t, hs: re.search(r"\bPEEL\b", h) and re.search(r"effectiveness", h, re.I)),
    ("PEEL efficiency", lambda h, t, hs: re.search(r"\bPEEL\b", h) and re.search(r"efficiency", h, re.I)),
    ("PEEL", lambda h, t, hs: re.search(r"\bPEEL\b", h)),
    ("vetting and counter-corruption",
     lambda h, t, hs: re.search(r"vetting", h, re.I) and re.search(r"counter[- ]corruption", h, re.I)),
    ("revisiting police relationships", lambda h, t, hs: re.search(r"revisiting police relationships", h, re.I)),
    ("integrity and corruption",
     lambda h, t, hs: re.search(r"workforce acts\s+with integrity|police integrity and corruption", t, re.I)),
]


def infer(text: str, sections: list[Section], source: str) -> dict[str, Field]:
    head = text[:2500]
    headings = [s.title for s in sections]
    fields: dict[str, Field] = {}
    fields["forces"] = _forces(text, head)
    fields.update(_dates(text, head))
    fields["report_type"] = _report_type(head, text, headings)
    fields["inspectorate"] = _inspectorate(text, fields["published"].value)
    fields["title"] = _title(text, sections, fields)
    fields["period"] = _period(text, fields)
    return fields


def _forces(text: str, head: str) -> Field:
    counts = force_table.mentions(text)
    for name, n in force_table.mentions(head).items():
        counts[name] = counts.get(name, 0) + n  # the title page says whose report it is
    if not counts:
        return Field([], "no force named in the text", "low")
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    top = ranked[0][1]
    chosen = [name for name, n in ranked if n >= 0.6 * top]
    detail = ", ".join(f"{n}×{c}" for n, c in ranked[:4])
    confidence = "high" if top >= 6 and len(chosen) == 1 else "medium" if top >= 3 else "low"
    return Field(chosen, f"most-named force ({detail})", confidence)


def _year_ok(y: int) -> bool:
    return 1990 <= y <= 2100


def _dates(text: str, head: str) -> dict[str, Field]:
    published = inspection = None
    m = re.search(r"(?:Last updated|Published|Updated)[:\s]+(\d{1,2})/(\d{1,2})/(\d{4})", text, re.I)
    if m:
        d, mo, y = map(int, m.groups())
        published = Field(f"{y:04d}-{mo:02d}-{d:02d}", f"'{m.group(0)}'", "high")
    if not published:
        m = re.search(rf"(?:Published|Last updated)[:\s]+(\d{{1,2}}) {MONTH_RE} (\d{{4}})", text, re.I)
        if m:
            mo = MONTHS.index(m.group(2).lower()) + 1
            published = Field(f"{int(m.group(3)):04d}-{mo:02d}-{int(m.group(1)):02d}", f"'{m.group(0)}'", "high")
    if not published:
        m = re.search(rf"^{MONTH_RE} (\d{{4}})$", head, re.M)  # a date line on the title page
        if m:
            mo = MONTHS.index(m.group(1).lower()) + 1
            published = Field(f"{int(m.group(2)):04d}-{mo:02d}", f"title-page date '{m.group(0)}'", "high")
    if not published:
        m = re.search(r"©\s*(?:Crown copyright\s*)?(?:HMIC(?:FRS)?\s*)?(\d{4})", text)
        if m and _year_ok(int(m.group(1))):
            published = Field(m.group(1), f"copyright line '{m.group(0)}'", "medium")
    if published is None:
        published = Field(None, "no publication date found", "low")

    for pattern, why, conf in [
        (r"\bPEEL (\d{4})\b", "PEEL year", "high"),
        (r"\b(\d{4})/\d{2} (?:PEEL|inspection)", "inspection period", "high"),
        (rf"12 months to {MONTH_RE} (\d{{4}})", "data period '12 months to …'", "medium"),
        (r"inspections? (?:in forces )?(?:started|took place|began)[^.]*?(\d{4})", "inspection dates", "medium"),
    ]:
        m = re.search(pattern, text)
        if m:
            y = int(m.groups()[-1])
            if _year_ok(y):
                inspection = Field(y, f"{why}: '{m.group(0)}'", conf)
                break
    if inspection is None:
        inspection = _year_from_future_mentions(text)

    if published.value:
        year = Field(int(str(published.value)[:4]), f"publication year ({published.method})", published.confidence)
    elif inspection.value:
        year = Field(inspection.value, f"inspection year ({inspection.method})", inspection.confidence)
    else:
        year = Field(None, "no date found; set it in a manifest", "low")
    return {"published": published, "inspection_year": inspection, "year": year}


def _year_from_future_mentions(text: str) -> Field:
    """With no date at all, a year the text speaks of as still to come bounds it from above."""
    future = re.search(r"(?:scheduled|due|planned|expected|will)\b[^.]{0,60}?\b(?:in|by) (?:early |late )?(\d{4})",
                       text)
    if future and _year_ok(int(future.group(1))):
        y = int(future.group(1)) - 1
        return Field(y, f"uncertain: the year before '{future.group(0)}', which the text calls future", "low")
    return Field(None, "no inspection date found", "low")


def _report_type(head: str, text: str, headings: list[str]) -> Field:
    for name, test in REPORT_TYPES:
        if test(head, text, headings):
            return Field(name, "keyword rule for the report's title and headings", "medium")
    return Field(None, "no known inspection programme recognised", "low")


def _inspectorate(text: str, published) -> Field:
    if re.search(r"\bHMICFRS\b|Fire (?:&|and) Rescue Services", text):
        return Field("HMICFRS", "named in the text", "high")
    if published and str(published)[:7] >= "2017-07":
        return Field("HMICFRS", "published after HMIC became HMICFRS (July 2017)", "medium")
    if re.search(r"\bHMIC\b|Inspectorate of Constabulary", text):
        return Field("HMIC", "named in the text", "high")
    return Field(None, "no inspectorate named", "low")


def _title(text: str, sections: list[Section], fields: dict[str, Field]) -> Field:
    candidates = [b.strip() for b in text[:1500].split("\n\n")[:8]]
    for i, cand in enumerate(candidates):
        words = cand.split()
        if (not 2 <= len(words) <= 14 or SLOGANS.match(cand) or cand.endswith((".", "?", ":"))
                or re.match(rf"^{MONTH_RE} \d{{4}}$", cand)
                or re.match(r"^((last )?updated|published)\b", cand, re.I)
                or force_table.mentions(cand) and len(words) <= 3 and not re.search(r"PEEL|\d{4}", cand)):
            continue
        nxt = candidates[i + 1] if i + 1 < len(candidates) else ""
        if re.match(r"^[A-Z][a-z]+$", nxt) and re.search(r"\bPEEL\b", cand):
            cand = f"{cand}: {nxt}"  # "Cambridgeshire PEEL 2018" / "Legitimacy"
        return Field(cand, "first title-like line of the report", "medium")
    forces = fields["forces"].value
    force = force_table.FORCES[forces[0]][0] if forces else "Police"
    kind = fields["report_type"].value or "inspection"
    year = fields["year"].value or ""
    return Field(f"{force}: {kind} inspection {year}".strip(),
                 "made from force, report type and year (the report has no title page)", "low")


def _period(text: str, fields: dict[str, Field]) -> Field:
    m = re.search(r"\bPEEL (\d{4})\b", text)
    if m:
        y = int(m.group(1))
        span = re.search(rf"\b{y}/(\d{{2}})\b", text)
        return Field(f"PEEL {y}/{span.group(1)}" if span else f"PEEL {y}", f"'{m.group(0)}'", "high")
    m = re.search(rf"12 months to {MONTH_RE} (\d{{4}})", text)
    if m:
        y = int(m.group(2))
        return Field(f"{y - 1}/{str(y)[2:]}", f"data period '{m.group(0)}'", "medium")
    return Field(None, "no period stated", "low")


def read_manifest(path: Path) -> dict:
    """Optional sidecar `<file>.meta.json` whose fields override what was inferred."""
    side = path.with_name(path.name + ".meta.json")
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IngestError(str(path), f"its manifest {side.name} is not valid JSON ({e}); fix or remove it") from None
    if not isinstance(data, dict):
        raise IngestError(str(path), f"its manifest {side.name} must be a JSON object")
    unknown = set(data) - MANIFEST_FIELDS
    if unknown:
        raise IngestError(str(path), f"its manifest {side.name} has unknown fields {sorted(unknown)}; "
                          f"allowed: {sorted(MANIFEST_FIELDS)}")
    if "forces" in data:
        if isinstance(data["forces"], str):
            data["forces"] = [data["forces"]]
        try:
            data["forces"] = [force_table.resolve(f) for f in data["forces"]]
        except force_table.UnknownForce as e:
            raise IngestError(str(path), f"manifest {side.name}: {e}") from None
    return data


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")
