"""Query understanding without an LLM: forces, years, report types and topic from a question,
carried across a conversation ("and Hampshire?", "what about after 2018?", "what did they recommend?")."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

from ingest import forces as force_table

from .extractive import lacking

PROGRESS_RE = re.compile(r"\b(since|progress\w*|improv\w*|still|chang\w*|over time|timeline|"
                         r"developments?|moved on|now)\b", re.I)
RECOMMEND_RE = re.compile(r"\b(recommend\w*|areas? for improvement|told to|asked to|should)\b", re.I)
PRONOUN_RE = re.compile(r"\b(they|them|their|it|its|the force|the constabulary|that force)\b", re.I)
FOLLOW_UP_RE = re.compile(r"^\s*(and|what about|how about|and what about|same for|what of|now)\b", re.I)
FILLER_RE = re.compile(
    r"\b(what|which|who|how|has|have|had|been|was|were|is|are|did|does|do|the|a|an|of|on|in|to|for|"
    r"about|made|make|any|there|by|hmic|hmicfrs|inspectorate|inspection|inspections|report|reports|"
    r"find|found|say|said|tell|me|progress|since|after|before|between|and|or|from|until|up|latest|"
    r"last|recent|most|years?|still|improved|improve|improvement|change|changed|force|forces|"
    r"constabulary|police|they|them|their|it|its|we|us|our|please|with|at|that|this|these|those|"
    r"recommend|recommended|recommendations?|what's|whats|current|position|now|over|time|can|could|"
    r"would|should|be|being|areas?|so|far|then|also|same)\b", re.I)
YEAR = r"((?:19|20)\d\d)"


@dataclass
class Query:
    """What a question asks for, with where each filter came from (question, conversation, caller)."""
    question: str
    topic: str = ""
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    programmes: list[str] = field(default_factory=list)
    intent: str = "fact"  # fact | progress | recommend
    unknown_forces: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _forces_in(text: str) -> list[str]:
    found = []
    for canonical, aliases in force_table.FORCES.items():
        names = sorted({canonical, *aliases}, key=len, reverse=True)
        for name in names:
            flags = 0 if (name.isupper() and len(name) <= 4) else re.I  # "MPS", "GMP" only in capitals
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags):
                found.append(canonical)
                break
    return found


def _unknown_places(text: str) -> list[str]:
    """Capitalised words after "in"/"for" that are not forces we know ("vetting in Gotham")."""
    out = []
    for m in re.finditer(r"\b(?:in|for|about|and)\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)(?:\s+(?:Police|Constabulary))", text):
        try:
            force_table.resolve(m.group(1))
        except force_table.UnknownForce:
            out.append(m.group(1))
    return out


MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
         r"spring|summer|autumn|winter|early|late|mid-?)")
_AT = rf"(?:the |{MONTH} )?"  # "between October 2022 and …", "between the 2015 and 2016 …"
_CYCLE = r"((?:19|20)\d\d)(?:/(\d\d))?"


def _end(m: re.Match, first: int = 1) -> int:
    """The last year of a year or a period ("2021/22" ends in 2022)."""
    y = int(m.group(first))
    return y // 100 * 100 + int(m.group(first + 1)) if m.group(first + 1) else y


# How questions name years, as rows: (pattern, years the reports asked about were published, class of
# phrasing). A range or an open bound answers alone; the point phrases below them are gathered from
# the whole question and joined ("Lancashire (PEEL 2016) and Dyfed-Powys (PEEL 2017)" → 2016–2018).
# Years are publication years: what is said of a year or a cycle is reported that year or the next
# (fieldwork in 2013, report in 2014; PEEL 2021/22 reports in 2022 and 2023), so the range runs on.
RANGES = [
    (rf"\b(?:between|from) (?:peel )?{_AT}{_CYCLE} (?:and|to|until|till|-|–) (?:peel )?{_AT}{_CYCLE}(?P<cycle> peel| cycle)?",
     lambda m, n: _span(int(m.group(1)), _end(m, 3) + (1 if m.group(4) or m.group("cycle") or
                                                         "peel" in m.group(0).lower() else 0)),
     "between two years (exactly those), or two cycles (PEEL 2017 to PEEL 2021/22: reported up to the year after)"),
    (rf"\b(?:since|from) (?:[\w'’]+ ){{0,2}}?{_AT}{YEAR}\b(?!/)", lambda m, n: (int(m.group(1)), None),
     "since a year, or since a report of that year"),
    (rf"\bafter {_AT}{YEAR}", lambda m, n: (int(m.group(1)) + 1, None), "after a year"),
    (rf"\bbefore {_AT}{YEAR}", lambda m, n: (None, int(m.group(1)) - 1), "before a year"),
    (rf"\b(?:by|until|up to) {_AT}{YEAR}", lambda m, n: (None, int(m.group(1))), "up to a year"),
    (r"\b(?:last|past) (\d+|two|three|four|five|six|seven|eight|nine|ten) years",
     lambda m, n: (n - _count(m.group(1)) + 1, None) if n else None, "the last N years"),
    (r"\b(?:last|past) year\b", lambda m, n: (n - 1, n) if n else None,
     "last year: the year before the newest report, reported then or in the newest year"),
    (r"\b(?:latest|most recent|newest|last) (?:inspection|report|position|findings?)\b",
     lambda m, n: (n, None) if n else None, "the latest inspection"),
]
POINTS = [
    (rf"\bpublished (?:in|on) {_AT}(?:\d{{1,2}} )?{YEAR}", lambda m: (int(m.group(1)), int(m.group(1))),
     "a publication date: that year"),
    (rf"\bpeel {_CYCLE}\b", lambda m: (_end(m), _end(m) + 1), "a PEEL cycle (PEEL 2015, PEEL 2021/22): reported "
     "that year or the next"),
    (rf"\b{_CYCLE} (?:peel|inspection year|cycle|financial year)\b", lambda m: (_end(m), _end(m) + 1),
     "a period (the 2012/13 inspection year): reported that year or the next"),
    (rf"\b(?:in|during) {_AT}{_CYCLE}", lambda m: (int(m.group(1)), _end(m) + 1),
     "what happened in a year: reported that year or the next"),
    (rf"\b{_CYCLE} (?:[\w-]+ ){{0,3}}?(?:report|thematic|publication|response|review|spotlight)\b",
     lambda m: (int(m.group(1)), int(m.group(1))) if not m.group(2) else (_end(m), _end(m) + 1),
     "a report named by its year (the 2019 thematic: that year) or cycle (the 2021/22 report: reported after)"),
    (rf"\b{_AT}{_CYCLE} (?:[\w-]+ ){{0,3}}?(?:inspections?|assessments?|visits?|fieldwork)\b",
     lambda m: (int(m.group(1)), _end(m) + 1), "an inspection named by its year: reported that year or the next"),
]
_RANGES = [(re.compile(p, re.I), f) for p, f, _ in RANGES]
_POINTS = [(re.compile(p, re.I), f) for p, f, _ in POINTS]
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def _span(a: int, b: int) -> tuple[int, int]:
    """The years between `a` and `b` in either order ("between 2018 and 2014")."""
    return min(a, b), max(a, b)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word.lower()]


def _years(text: str, newest: int | None) -> tuple[int | None, int | None, str]:
    """(from, to, the phrase that said so): the publication years the question asks about."""
    for rx, years in _RANGES:
        if (m := rx.search(text)) and (got := years(m, newest)):
            return got[0], got[1], " ".join(m.group(0).split())
    spans: list[tuple[int, int]] = []
    lo, hi, phrases = None, None, []
    for rx, years in _POINTS:
        for m in rx.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in spans):
                continue  # a year an earlier row already read
            spans.append(m.span())
            a, b = years(m)
            lo, hi = min(a, lo or a), max(b, hi or b)
            phrases.append(" ".join(m.group(0).split()))
    return lo, hi, "; ".join(phrases)


def _programmes(text: str, known: list[str]) -> list[str]:
    t = text.lower()
    out = [k for k in known if k.lower() in t]
    if not out and re.search(r"\bpeel\b", t):
        out = [k for k in known if k.lower().startswith("peel")]
    return out


def topic_of(text: str) -> str:
    stripped = re.sub(rf"\b{YEAR}(/\d\d)?\b|['’]s\b", " ", text)
    for canonical in _forces_in(stripped):
        for name in sorted({canonical, *force_table.FORCES[canonical]}, key=len, reverse=True):
            stripped = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", stripped, flags=re.I)
    words = FILLER_RE.sub(" ", re.sub(r"[^\w\s'-]", " ", stripped)).split()
    return " ".join(words)


def understand(question: str, previous: Query | None = None, newest_year: int | None = None,
               known_programmes: list[str] | None = None) -> Query:
    q = Query(question=question)
    forces = _forces_in(question)
    q.unknown_forces = _unknown_places(question) if not forces else []
    if forces:
        q.forces, q.sources["forces"] = forces, "question"
    y_from, y_to, phrase = _years(question, newest_year)
    if phrase:
        q.year_from, q.year_to, q.sources["years"] = y_from, y_to, f"question ('{phrase}')"
    types = _programmes(question, known_programmes or [])
    if types:
        q.programmes, q.sources["programmes"] = types, "question"
    q.topic = topic_of(question)
    # a question that requires one figure, date or grade ("how many … since 2015?", "when did … check
    # progress?") wants that answer, not a timeline, whatever words of change it uses
    q.intent = ("recommend" if RECOMMEND_RE.search(question) else
                "progress" if (PROGRESS_RE.search(question) or re.match(r"(since|after|from|last|past)\b(?! year\b)", phrase, re.I))
                and not lacking(question) else "fact")
    if previous is not None and _is_follow_up(question, q):
        q = _carry(q, previous)
    return q


def _is_follow_up(question: str, q: Query) -> bool:
    return bool(FOLLOW_UP_RE.search(question) or PRONOUN_RE.search(question) or len(question.split()) <= 4)


def _carry(q: Query, prev: Query) -> Query:
    """Keep from the earlier turn whatever this one does not restate."""
    changes: dict = {}
    if q.intent == "fact" and prev.intent in ("progress", "recommend") and "years" not in q.sources:
        changes.update(intent=prev.intent)
    if not q.forces and not q.unknown_forces and prev.forces:
        changes.update(forces=list(prev.forces))
        q.sources["forces"] = "conversation"
    if "years" not in q.sources and (prev.year_from or prev.year_to):
        changes.update(year_from=prev.year_from, year_to=prev.year_to)
        q.sources["years"] = "conversation"
    if not q.programmes and prev.programmes:
        changes.update(programmes=list(prev.programmes))
        q.sources["programmes"] = "conversation"
    if len(q.topic.split()) <= 1 and prev.topic and q.topic not in prev.topic.split():
        changes.update(topic=(prev.topic + " " + q.topic).strip())
        q.sources["topic"] = "conversation"
    return replace(q, **changes)
