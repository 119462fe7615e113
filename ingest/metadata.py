"""Infer what a publication is (forces, dates, programme, kind, title) from its cleaned text.

Each field comes back with the method that found it and a confidence, so a user can see why the
index believes a report is "Cambridgeshire 2014" and correct it with a sidecar manifest. The rules
are rows in tables (ingest/dates.py, ingest/programmes.py, ingest/furniture.py and the tables
below); this module only reads them. Unknown is better than wrong: a field with no evidence stays
empty, and a year that is only inferred says "guess" in its method with low confidence.
"""
from __future__ import annotations

import re

from . import dates
from . import forces as force_table
from . import furniture
from .programmes import KIND_RULES, PILLAR_CUES, PROGRAMME_RULES, PROGRAMMES, first
from .records import Field, Section

HEAD = 3000

# Lines that are never a publication's title: slogans, date lines and the generic section headings
# a report (or an excerpt of one) may open with.
NOT_TITLE = re.compile(
    r"^(?:inspecting policing in the public interest|promoting improvements in policing.*|hmic|hmicfrs|"
    r"her majesty'?s inspectorate.*|his majesty'?s inspectorate.*|(?:overall )?summary|foreword|introduction|"
    r"executive summary|key findings|background|our judgments|about us|about this (?:report|inspection)|"
    r"(?:last )?updated\b.*|published\b.*|publication date\b.*|date\b.*|isbn\b.*|www\..*|https?://.*|"
    r"consultation outcome|correspondence|guidance|policy paper|news(?: story)?|press release|"
    r"letter information|\d+|[ivx]+|\d+ of \d+|page \d+)$", re.I)

# A force is a publication's subject when the title names it, or a phrase like these does.
SUBJECT_PHRASES = [
    (r"(?:inspection|assessment|review|report|inspection visit)s? (?:of|on|into)\s+(?:the\s+)?(?:[\w’'-]+\s+){0,8}?"
     r"(?:in|of)?\s*(?:the\s+)?{force}", "PEEL and thematic reports on one force ('An inspection of <force>')"),
    (r"{force}(?:’s|'s)? (?:is|was) (?:judged|good|outstanding|adequate|inadequate|requires)",
     "PEEL pages and news ('<force> is judged to be good')"),
    (r"how good {force} is", "PEEL 2021/22 and later ('how good <force> is')"),
    (r"custody suites in\s+{force}", "joint custody inspection reports"),
    (r"integrity arrangements in\s+{force}", "integrity inspections (2023–)"),
]
# Signs that a publication is about policing as a whole, not one force.
NATIONAL = re.compile(
    r"\b(?:all |the )?43 (?:police )?forces|all (?:police )?forces in england and wales|"
    r"police (?:service|forces) in england and wales|every (?:police )?force|national (?:thematic|report|inspection)|"
    r"state of policing|annual assessment of policing|inspection programme|thematic", re.I)


def infer(text: str, sections: list[Section], source: str, furniture: list[str] = ()) -> dict[str, Field]:
    """`furniture`: the web furniture cleaning dropped, still evidence of what a page is."""
    head = text[:HEAD]
    fields: dict[str, Field] = {}
    fields["title"] = _title(text)
    title = fields["title"].value or ""
    top = _top_lines(text)
    listing = _is_listing(text)
    recs = sum(bool(re.search(r"recommendations?$", sec.title, re.I)) for sec in sections)
    scopes = {"title": title + "\n" + top, "head": head, "text": text, "listing": "x" if listing else "",
              "action-plan": text if recs >= 2 else "", "furniture": "\n".join(furniture)}
    kind = first(KIND_RULES, scopes)
    fields["forces"] = _forces(text, head, title, top, kind[0].value if kind else None, listing)
    scopes["force-head"] = head if fields["forces"].value else ""
    fields["programme"] = _programme(text, scopes)
    fields["kind"] = _kind(kind, fields["forces"].value)
    fields.update(_dates(text, title, fields["programme"].value))
    fields["inspectorate"] = _inspectorate(text, fields["published"].value)
    if fields["title"].value is None:
        fields["title"] = _made_title(fields)
    return fields


def _blocks(text: str, limit: int = 1500) -> list[str]:
    return [b.strip() for b in text[:limit].split("\n\n") if b.strip()]


def _top_lines(text: str) -> str:
    """The first few short blocks: where a page prints its title, force and cycle ('Norfolk PEEL 2014').
    Picture credits ('Cover image © <force>') are not the subject."""
    lines = (re.sub(r"(?:cover image |photo(?:graph)? )?©[^\n]{0,60}", "", b) for b in _blocks(text)[:6])
    return "\n".join(b for b in lines if len(b.split()) <= 20)


def _title(text: str) -> Field:
    candidates = _blocks(text)[:8]
    for i, cand in enumerate(candidates):
        words = cand.split()
        if (not 2 <= len(words) <= 40 or NOT_TITLE.match(cand) or furniture.is_furniture(cand)
                or cand.endswith((".", ":", ";", ","))
                or cand.endswith("?") and ":" not in cand  # a report's question heading, not its title
                or re.match(rf"^{dates.MY}$", cand, re.I)
                or (len(words) > 14 and (i > 0 or re.search(r"[.!?]\s+[A-Z]", cand)))
                or force_table.mentions(cand) and len(words) <= 3 and not re.search(r"PEEL|\d{4}", cand)):
            continue
        nxt = candidates[i + 1] if i + 1 < len(candidates) else ""
        if re.match(r"^[A-Z][a-z]+$", nxt) and re.search(r"\bPEEL\b", cand) and not NOT_TITLE.match(nxt):
            cand = f"{cand}: {nxt}"  # "Cambridgeshire PEEL 2018" / "Legitimacy"
        return Field(cand, "first title-like line of the publication", "medium")
    return Field(None, "no title-like line", "low")


def _made_title(fields: dict[str, Field]) -> Field:
    forces = fields["forces"].value
    who = force_table.FORCES[forces[0]][0] if forces else "National"
    what = fields["programme"].value or "inspection"
    year = fields["year"].value or ""
    kind = fields["kind"].value or "publication"
    kind = "inspection" if kind.endswith("inspection") else kind
    return Field(f"{who}: {what} {kind} {year}".strip(),
                 "made from force, programme, kind and year (the text has no title line)", "low")


def _forces(text: str, head: str, title: str, top: str, kind: str | None, listing: bool) -> Field:
    national = NATIONAL.search(title)
    named = {} if national else force_table.mentions(title + "\n" + top)
    if named:
        best = max(named.values())
        chosen = sorted(n for n, c in named.items() if c == best)
        if len(chosen) <= 2:
            return Field(chosen, f"named in the title or heading lines ({', '.join(chosen)})", "high")
    subjects: dict[str, int] = {}
    for canonical, aliases in force_table.FORCES.items():
        names = "|".join(re.escape(n) for n in sorted(set(aliases + [canonical]), key=len, reverse=True))
        force = rf"(?:{names})(?![\w-])"
        for phrase, _serves in SUBJECT_PHRASES:
            n = len(re.findall(phrase.replace("{force}", force), head))
            if n:
                subjects[canonical] = subjects.get(canonical, 0) + n
    if subjects:
        top_n = max(subjects.values())
        chosen = sorted(n for n, c in subjects.items() if c == top_n)
        if len(chosen) == 1:
            return Field(chosen, f"the publication is about it ('… of/in {chosen[0]}')", "high")
    counts = force_table.mentions(text)
    if not counts:
        return Field([], "no force named in the text", "medium")
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    top_count = ranked[0][1]
    second = ranked[1][1] if len(ranked) > 1 else 0
    detail = ", ".join(f"{n}×{c}" for n, c in ranked[:4])
    if kind == "response" and top_count > second:
        return Field([ranked[0][0]], f"a response names the force it answers for ({detail})", "medium")
    if not listing and not national and top_count >= 6 and top_count >= 2 * max(second, 1):
        return Field([ranked[0][0]], f"most-named force ({detail})", "medium")
    why = "a listing" if listing else "a national publication" if national or NATIONAL.search(head) else \
        "no force is the subject"
    return Field([], f"{why}: forces named only as examples ({detail})", "medium")


def _programme(text: str, scopes: dict[str, str]) -> Field:
    hit = first(PROGRAMME_RULES, scopes)
    if hit is None:
        return Field("other thematic", "no programme rule matched: another thematic publication", "low")
    rule, m = hit
    if rule.value == "PEEL":
        return _peel_pillar(text, m.group(0))
    return Field(rule.value, f"{rule.scope} names it: '{' '.join(m.group(0).split())[:60]}'", "medium")


def _peel_pillar(text: str, cue: str) -> Field:
    """A 2014–2017 PEEL page covers one pillar: the one whose heading sits nearest its date line."""
    stamp = dates.publication_line(text)
    anchor = None
    if stamp:
        m = re.search(re.escape(stamp[1].split("'")[1]), text) if "'" in stamp[1] else None
        anchor = m.start() if m else None
    best = None
    for rule in PILLAR_CUES:
        for m in rule.regex.finditer(text):
            d = abs(m.start() - anchor) if anchor is not None else m.start()
            if best is None or d < best[0]:
                best = (d, rule, m)
    if best is None:
        return Field("PEEL integrated", f"PEEL with no pillar named ('{cue}')", "low")
    where = "nearest the page's date line" if anchor is not None else "first pillar named"
    return Field(best[1].value, f"PEEL pillar {where}: '{' '.join(best[2].group(0).split())[:50]}'", "medium")


def _kind(hit, forces: list[str]) -> Field:
    if hit is not None:
        rule, m = hit
        if rule.scope == "listing":
            return Field("other", "a listing of several dated publications", "low")
        return Field(rule.value, f"{rule.scope} says so: '{' '.join(m.group(0).split())[:60]}'", "medium")
    if forces:
        return Field("force inspection", "an inspection publication about one force", "medium")
    return Field("national inspection", "an inspection publication about no single force", "low")


def _is_listing(text: str) -> bool:
    """A page listing publications: several lines that start with a date or end 'published <date>'."""
    starts = re.findall(rf"^[ \t]*{dates.DMY}", text, re.I | re.M)
    ends = re.findall(rf"published {dates.DMY}\s*$", text, re.I | re.M)
    return len(starts) + len(ends) >= 3


# -- dates -----------------------------------------------------------------------------------

# Publishing schedules: a PEEL cycle or an annual report whose publication date the text lacks.
# (cycle or programme, pillar or None) -> the year its reports were published. Each is a guess.
SCHEDULE = {
    ("PEEL 2014", None): 2014,
    ("PEEL 2015", "PEEL efficiency"): 2015, ("PEEL 2015", None): 2016,
    ("PEEL 2016", "PEEL efficiency"): 2016, ("PEEL 2016", "PEEL legitimacy"): 2016,
    ("PEEL 2016", "PEEL leadership"): 2016, ("PEEL 2016", None): 2017,
    ("PEEL 2017", "PEEL efficiency"): 2017, ("PEEL 2017", "PEEL legitimacy"): 2017, ("PEEL 2017", None): 2018,
    ("PEEL 2018/19", None): 2019,
    ("PEEL 2021/22", None): 2022,
}


def _dates(text: str, title: str, programme: str | None) -> dict[str, Field]:
    found = dates.publication_line(text) or dates.stated_date(text, title)
    published = Field(found[0], found[1], found[2]) if found else Field(None, "no publication date found", "low")

    per = dates.period(text)
    period = Field(per[0], per[2], "high" if per[0].startswith("PEEL") else "medium") if per else \
        Field(None, "no period stated", "low")
    inspection = Field(per[1], f"first year of the period ({per[2]})", period.confidence) if per else \
        Field(None, "no inspection period found", "low")

    if published.value:
        year = Field(int(str(published.value)[:4]), f"publication year ({published.method})", published.confidence)
    else:
        year = _guess_year(text, title, programme, period.value) or (
            Field(inspection.value, f"inspection year ({inspection.method})", "low") if inspection.value
            else Field(None, "no date found; set it in a manifest", "low"))
    return {"published": published, "inspection_year": inspection, "period": period, "year": year}


def _guess_year(text: str, title: str, programme: str | None, period: str | None) -> Field | None:
    if period in {p for p, _ in SCHEDULE}:
        pillar = programme if programme in PROGRAMMES[:4] else None
        y = SCHEDULE.get((period, pillar), SCHEDULE.get((period, None)))
        if y:
            return Field(y, f"guess: {period} {pillar or 'reports'} were published in {y}", "low")
    if programme == "state of policing":
        m = re.search(r"(?:assessment of policing|state of policing)[^\n]{0,40}?((?:19|20)\d{2})(?:\s*[/–-]\s*(\d{2}))?",
                      title, re.I)
        if m:
            end = int(m.group(1)) // 100 * 100 + int(m.group(2)) if m.group(2) else int(m.group(1))
            if not re.search(r"response|report:", title, re.I):
                return Field(end + 1, f"guess: State of Policing for {m.group(0)[-7:].strip()} is laid the next year",
                             "low")
    for line in [title] + _top_lines(text).split("\n"):
        if len(line.split()) > 14 or re.search(r"[.!?]$", line.strip()):
            continue  # a sentence, not a heading: its year is an event's, not the publication's
        m = re.search(r"(?<![/–-])\b((?:19|20)\d{2})\b(?!\s*[/–-]\s*\d)", line)
        if m:
            return Field(int(m.group(1)), f"guess: the year in the title or a heading '{line[:60]}'", "low")
    m = re.search(rf"\bin (?:{dates.MY}|(?P<y2>(?:19|20)\d{{2}})),? (?:HMICFRS|HMIC|the inspectorate) published "
                  r"(?:its|their|the) report", text, re.I)
    if m:
        y = int(m.group("year") or m.group("y2"))
        return Field(y, f"guess: the year of the report it answers ('{' '.join(m.group(0).split())[:60]}')", "low")
    if _is_listing(text):
        latest = max(dates.all_dates(text))
        return Field(int(latest[:4]), f"guess: the latest date the listing shows ({latest})", "low")
    m = re.search(r"(?:scheduled|due|planned|expected|will)\b[^.]{0,60}?\b(?:in|by) (?:early |late )?((?:19|20)\d{2})",
                  text)
    if m:
        y = int(m.group(1)) - 1
        return Field(y, f"guess: the year before '{' '.join(m.group(0).split())}', which the text calls future", "low")
    return None


def _inspectorate(text: str, published) -> Field:
    if re.search(r"\bHMICFRS\b|Fire (?:&|and) Rescue Services", text):
        return Field("HMICFRS", "named in the text", "high")
    if published and str(published)[:7] >= "2017-07":
        return Field("HMICFRS", "published after HMIC became HMICFRS (July 2017)", "medium")
    if re.search(r"\bHMIC\b|Inspectorate of Constabulary", text):
        return Field("HMIC", "named in the text", "high")
    return Field(None, "no inspectorate named", "low")
