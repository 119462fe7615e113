"""Structured findings of a report: recommendations, areas for improvement, causes of concern,
graded judgments and, in a force's response, what it says it did. Each finding is an exact span of
the document's cleaned text, so a brief can cite it like any other passage.

The rules are plain patterns over the cleaned paragraphs, in the order below; they are documented
in docs/FINDINGS.md and scored against eval/datasets/findings_seed.jsonl by `hmiqa eval`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from .chunk import sentence_spans
from .records import Document

EXTRACTOR_VERSION = "5"  # bump when a rule changes: stored findings are then extracted again

FINDING_KINDS = ("recommendation", "area_for_improvement", "cause_of_concern", "judgment", "response")
GRADES = ("Outstanding", "Good", "Adequate", "Requires improvement", "Inadequate")

# most specific first: a finding's primary theme is the first that matches
THEMES: list[tuple[str, str]] = [
    ("vetting", r"\b(re-?)?vet(ting|ted)?\b"),
    ("abuse of position for a sexual purpose", r"sexual purpose|predatory"),
    ("gifts and hospitality", r"\bgifts?\b|hospitality|gratuit"),
    ("business interests and secondary employment", r"business interests?|second(ary)? (jobs?|employment|occupations?)"),
    ("procurement", r"procure|\bcontract(s|ors?)?\b|suppliers?|purchase orders?"),
    ("notifiable associations", r"notifiable associations?|personal (relationships?|associations?)"),
    ("social media", r"social (media|networking)|\binternet\b"),
    ("media relationships", r"(?<!social )\bmedia\b|journalists?|\bpress\b"),
    ("registers and cross-checking", r"\bregisters?\b|cross-(check|referenc)"),
    ("stop and search", r"stop[- ]and[- ]search|find rates"),
    ("intelligence and tasking", r"\btasking\b|intelligence"),
    # PEEL questions and the areas PEEL 2021+ grades, thematic inspections' subjects
    ("recording data about crime", r"crime[- ](?:data|recording)|record(?:ing|s|ed)? (?:of )?crimes?\b|"
                                   r"\bcrime data integrity"),
    ("domestic abuse", r"domestic abuse|domestic violence"),
    ("violence against women and girls", r"violence against women|\bVAWG\b"),
    ("rape and serious sexual offences", r"\brape\b|sexual offences"),
    ("stalking and harassment", r"stalking|harassment"),
    ("child protection", r"child (?:protection|sexual|exploitation|abuse)|safeguarding children"),
    ("missing people", r"missing (?:people|persons|children|from)"),
    ("mental health", r"mental (?:health|ill)"),
    ("fraud", r"\bfraud"),
    ("serious and organised crime", r"organised crime|\bSOC\b|county lines"),
    ("responding to the public", r"respond(?:ing)? to (?:the public|calls|incidents)|call[- ]handling|"
                                 r"emergency (?:and non-emergency )?calls|\b(?:999|101) calls|answer(?:ing)? calls"),
    ("investigating crime", r"investigat\w* (?:of )?crimes?|quality of (?:its )?investigations|investigation standards|"
                            r"investigative (?:standards|supervision|plans)|investigation plans?|"
                            r"supervis\w+ (?:of )?(?:its )?investigations"),
    ("protecting vulnerable people", r"vulnerab\w+|safeguard\w*"),
    ("managing offenders and suspects", r"offender management|managing (?:offenders|suspects|sex offenders)|"
                                        r"registered sex offenders|wanted (?:people|persons)|released under investigation"),
    ("preventing crime and anti-social behaviour", r"prevent\w* crime|anti-?social behaviour|neighbourhood policing"),
    ("treatment of the public", r"treat\w* (?:the public|people) fairly|use of force|disproportional\w*|"
                                r"fair(?:ly|ness) and respect"),
    ("custody", r"\bcustody\b|detainees?"),
    ("counter-corruption capability", r"(counter|anti)[- ]corruption|proactive capability|capability and capacity"),
    ("complaints and misconduct", r"complaints?|misconduct"),
    ("code of ethics", r"code of ethics|\bethic"),
    ("governance and scrutiny", r"governance|scrutiny|oversight|peer review|audit"),
    ("training and awareness", r"training|awareness|aware\b|understand|communicat|knowledge"),
    ("integrity", r"integrity"),
    ("building the workforce", r"workforce|wellbeing|recruit\w*|workplace|professional development"),
    ("leadership", r"leadership|\bleaders?\b"),
    ("use of resources and planning", r"use of resources|demand|financial (?:plan|position)|efficien\w+|"
                                      r"strategic plan\w*|workforce plan\w*"),
]
_THEME_RES = [(name, re.compile(rx, re.I)) for name, rx in THEMES]

ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "seventh": 6}
WITHIN_RE = re.compile(r"^(?:- )?Within (?:\w+|\d+) (?:weeks|months?|years?),? (?:the )?force should\b", re.I)
QUOTED_LIST_RE = re.compile(
    r"(?:HMIC|we) (?:highlighted|identified|found) (?P<n>\w+) areas? (?:for|of) improvement\b.*?"
    r"(?:from|in) the (?:\w+ )?(?P<year>(?:19|20)\d\d)\b.*:$", re.I)
QUOTED_REC_RE = re.compile(r"\bIn (?:our|its|HMIC[’']s) (?P<year>(?:19|20)\d\d)\b[^.:]*?\b(?:we|HMIC) recommended\b.*:$", re.I)
JUDGED_RE = re.compile(
    r"\bIn (?P<year>(?:19|20)\d\d), we judged that the force was (?P<grade>outstanding|good|adequate|requires "
    r"improvement|inadequate) (?:at|in) (?P<what>[^.]+)\.", re.I)
RECOMMENDS_RE = re.compile(r"\b(should|recommends?|are required|is required|needs? to|need for|may wish to|"
                           r"must)\b", re.I)
# a paragraph that tells someone what to do, as an unbulleted list of recommendations words each one
ADDRESSED_RE = re.compile(r"(The force|The constabulary|(All )?forces|Chief constables?|PCCs|Within \w+ \w+,)[^.]*?"
                          r"\b(should|must|needs? to)\b")
# PEEL 2021+ numbers them under each question ("Area for improvement 1", "Cause of concern 2:")
HEADING_RE = re.compile(r"^(?P<h>Recommendations?|Areas? for improvement|Causes? of concern)(?: \d{1,2})?:?$", re.I)
# a sentence announcing the recommendations listed under it: "HMI … made three recommendations in this
# report:" (thematic overviews), "Our cause of concern … had two accompanying recommendations:" (letters)
ANNOUNCED_RE = re.compile(r"\b(?:made|makes?|had|has|have|sets? out|are|were|following)\b[^.:]{0,60}?"
                          r"\brecommendations?\b[^.:]{0,60}:$", re.I)
# the stem of a list of recommendations: "Within three months, <force> should:" (PEEL causes of concern
# and their letters), "By March 2022, chief constables should:" (thematic reports); each item is one
ADDRESSED_STEM_RE = re.compile(r"^(?:(?:Within|By) [^,:.]{2,40},\s*)?[^.:]{2,80}?\b(?:should|must)\b[^.:]{0,20}:$", re.I)
# list items as the cleaned text keeps them: bullets ("- ") and numbered items ("1. ", "2) ", "(3) ")
ITEM_RE = re.compile(r"^(?:[-•*] |\(?\d{1,2}[.)] )")


@dataclass
class Finding:
    finding_id: str
    doc_id: str
    kind: str
    text: str  # exact: the document's cleaned text[start:end]
    start: int
    end: int
    section: str
    forces: list[str]
    year: int | None  # the year the finding was made (an earlier report's, when quoted)
    report_year: int | None  # the year of the report that holds the text
    theme: str
    themes: list[str]
    quoted: bool = False  # made in an earlier report and quoted in this one
    audience: str = "force"  # force, all forces, PCCs, national
    grade: str | None = None  # judgments
    question: str | None = None  # judgments: what was judged; None for the whole area
    responds_to: str | None = None  # responses: the finding_id of the recommendation answered
    group: str | None = None  # findings listed together (a quoted list) share a group id
    position: int = 0  # position inside its group

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Finding":
        return cls(**d)


GENERIC_THEMES = {"training and awareness", "integrity", "governance and scrutiny", "complaints and misconduct",
                  "code of ethics"}
# PEEL's widest questions: the theme only when nothing narrower is named
BROAD_THEMES = {"building the workforce", "leadership", "use of resources and planning", "protecting vulnerable people"}


def themes_of(text: str) -> list[str]:
    """Themes named in `text`, the main one first: the specific theme named earliest (a
    recommendation about "the procurement process … registers of gifts" is about procurement),
    else the earliest generic one (training, integrity, …), else the earliest broad PEEL one."""
    hits = [(m.start(), name) for name, rx in _THEME_RES if (m := rx.search(text))]
    specific = sorted(h for h in hits if h[1] not in GENERIC_THEMES | BROAD_THEMES)
    generic = sorted(h for h in hits if h[1] in GENERIC_THEMES)
    broad = sorted(h for h in hits if h[1] in BROAD_THEMES)
    return [name for _, name in specific + generic + broad]


@dataclass
class _Para:
    start: int
    end: int
    text: str

    @property
    def bullet(self) -> bool:
        return ITEM_RE.match(self.text) is not None

    @property
    def body_start(self) -> int:
        m = ITEM_RE.match(self.text)
        return self.start + m.end() if m else self.start


def paragraphs(text: str) -> list[_Para]:
    out = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append(_Para(s, e, text[s:e]))
    return out


class _Builder:
    def __init__(self, doc: Document):
        self.doc, self.out, self.seen = doc, [], set()

    def add(self, kind: str, start: int, end: int, *, year=None, quoted=False, audience="force", grade=None,
            question=None, responds_to=None, group=None, position=0) -> Finding | None:
        text = self.doc.text[start:end]
        norm = _norm(text)
        if kind != "judgment":
            # the end-of-report list repeats the in-text recommendations, sometimes a word different
            for f in self.out:
                if f.kind == kind and _similar(norm, _norm(f.text)):
                    return None
        key = (kind, start)
        if key in self.seen:
            return None
        self.seen.add(key)
        digest = hashlib.sha1(f"{kind}|{norm}|{question or ''}".encode()).hexdigest()[:10]
        found = themes_of(text if kind != "judgment" else (question or ""))
        if not found and kind != "judgment":
            # PEEL 2021+ lists each area under the question it answers ("Investigating crime")
            found = themes_of(self.doc.section_at(start))
        f = Finding(finding_id=f"{self.doc.doc_id}-{digest}", doc_id=self.doc.doc_id, kind=kind, text=text,
                    start=start, end=end, section=self.doc.section_at(start), forces=list(self.doc.forces),
                    year=year if year is not None else self.doc.year,
                    report_year=self.doc.year, theme=found[0] if found else "general", themes=found,
                    quoted=quoted, audience=audience, grade=grade, question=question,
                    responds_to=responds_to, group=group, position=position)
        self.out.append(f)
        return f


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _similar(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.8


def _audience(text: str) -> str:
    t = text.lower()
    if re.match(r"(all )?forces (and pccs )?should|the service should", t):
        return "all forces"
    if t.startswith("pccs") or " pccs should" in t:
        return "PCCs"
    if re.search(r"college of policing should|hmic recommends|acpo should|home office should", t):
        return "national"
    return "force"


def extract(doc: Document) -> list[Finding]:
    """Every finding in `doc`, in text order within each rule."""
    b = _Builder(doc)
    paras = paragraphs(doc.text)
    if doc.is_response and any(re.fullmatch(r"[\w ,&-]*Recommendations", p.text) for p in paras):
        _responses(b, paras)  # an action plan answering recommendation by recommendation
        return b.out
    for i, p in enumerate(paras):
        # "HMIC highlighted two areas for improvement … from the 2012 inspection report:" + bullets
        if m := QUOTED_LIST_RE.search(p.text):
            _list(b, paras, i, "area_for_improvement", year=int(m["year"]), quoted=True)
        elif m := QUOTED_REC_RE.search(p.text):
            items = _bullets(paras, i + 1)
            if items:  # one recommendation: the sentence that introduces it and its parts
                b.add("recommendation", p.start, items[-1].end, year=int(m["year"]), quoted=True,
                      audience="all forces" if "all forces" in p.text else "force")
        elif ANNOUNCED_RE.search(p.text) and len(p.text) < 250 and (items := _bullets(paras, i + 1)):
            # announced, then listed: each item one recommendation (a stem between them is the rule below)
            for k, q in enumerate(items):
                b.add("recommendation", q.body_start, q.end, audience=_audience(q.text[q.body_start - q.start:]),
                      group=f"{doc.doc_id}:{p.start}", position=k)
        elif ADDRESSED_STEM_RE.match(p.text) and len(p.text) < 160 and (items := _bullets(paras, i + 1)):
            audience = _audience(re.sub(r"^(?:(?:Within|By) [^,]+,\s*)", "", p.text))
            for k, q in enumerate(items):
                b.add("recommendation", q.body_start, q.end, audience=audience,
                      group=f"{doc.doc_id}:{p.start}", position=k)
        elif m := HEADING_RE.match(p.text):
            kind = {"r": "recommendation", "a": "area_for_improvement", "c": "cause_of_concern"}[m["h"][0].lower()]
            items = _bullets(paras, i + 1)
            if not items and i + 1 < len(paras):
                # unbulleted: "Recommendation" or "Cause of concern" heads one paragraph; a plural heading
                # heads every paragraph that recommends ("The force should …") until one does not
                items = [paras[i + 1]]
                if m["h"].lower().startswith(("recommendations", "areas")):
                    j = i + 2
                    while j < len(paras) and len(items) < 12 and ADDRESSED_RE.match(paras[j].text):
                        items.append(paras[j])
                        j += 1
            if kind != "cause_of_concern":
                items = [q for q in items if RECOMMENDS_RE.search(q.text)]
            for k, q in enumerate(items):
                b.add(kind, q.body_start, q.end, audience=_audience(q.text[q.body_start - q.start:]),
                      group=f"{doc.doc_id}:{p.start}", position=k)
        elif WITHIN_RE.match(p.text):
            b.add("recommendation", p.body_start, p.end, audience="force")
        elif p.text in GRADES:
            question = _judged(paras, i)
            b.add("judgment", p.start, p.end, grade=p.text, question=question)
        for m in JUDGED_RE.finditer(p.text):
            b.add("judgment", p.start + m.start(), p.start + m.end(), grade=m["grade"].capitalize(),
                  question=m["what"].strip(), year=int(m["year"]), quoted=True)
    return b.out


def _bullets(paras: list[_Para], i: int) -> list[_Para]:
    items = []
    while i < len(paras) and paras[i].bullet:
        items.append(paras[i])
        i += 1
    return items


def _list(b: _Builder, paras, i, kind, year, quoted):
    for k, q in enumerate(_bullets(paras, i + 1)):
        b.add(kind, q.body_start, q.end, year=year, quoted=quoted, group=f"{b.doc.doc_id}:{paras[i].start}",
              position=k)


def _judged(paras: list[_Para], i: int) -> str | None:
    """The question a grade line answers: the nearest question above it. None when that is the
    pillar's own question (the overall judgment)."""
    for j in range(i - 1, max(-1, i - 4), -1):
        t = paras[j].text
        if t.endswith("?"):
            return None if re.match(r"How (legitimately|effectively|efficiently|well) does the force (treat the "
                                    r"public|keep people safe|operate)", t) and j <= 4 else t
    return None


def _responses(b: _Builder, paras: list[_Para]) -> None:
    """A force's response: each recommendation paragraph, then the force's statements under it."""
    current: Finding | None = None
    audience = "force"
    for p in paras:
        if re.fullmatch(r"[\w ,&-]*Recommendations", p.text):
            head = p.text.lower()
            audience = "national" if "national" in head else "PCCs" if "pcc" in head else "force"
            continue
        if p.text.endswith("Recommendations") or p is paras[0]:
            continue
        spans = sentence_spans(b.doc.text, p.start, p.end)
        modal = [k for k, (s, e) in enumerate(spans) if RECOMMENDS_RE.search(b.doc.text[s:e])]
        if modal:  # the recommendation runs to its last "should"; what follows is the force's answer
            last = modal[-1]
            current = b.add("recommendation", spans[0][0], spans[last][1], audience=audience,
                            year=_made_in(b.doc), quoted=True)
            if last + 1 < len(spans) and current is not None:
                _answer(b, current, spans[last + 1][0], spans[-1][1], audience)
        elif current is not None:
            _answer(b, current, p.start, p.end, audience)


def _answer(b: _Builder, rec: Finding, start: int, end: int, audience: str) -> None:
    r = b.add("response", start, end, responds_to=rec.finding_id, audience=audience)
    if r is not None:  # a response is about what it answers
        r.theme = rec.theme
        r.themes = list(dict.fromkeys(rec.themes + r.themes))


def _made_in(doc: Document) -> int | None:
    """The recommendations a response answers were made before it: the year of the inspection
    the response names, else the year before the response."""
    m = re.search(r"\b(?:19|20)\d\d\b", doc.title or "")
    if m:
        return int(m.group())
    return (doc.year - 1) if doc.year else None


def ordinal_of(text: str) -> int | None:
    m = re.match(r"With (?:respect|regard) to the (\w+) (?:issue|area|recommendation)", text, re.I)
    return ORDINALS.get(m.group(1).lower()) if m else None
