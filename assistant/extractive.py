"""The default answer: sentences taken verbatim from the best passages, each cited, no LLM.

Sentences are scored by meaning (cosine with the topic) plus a bonus for sharing the topic's
words; near-duplicates across reports are dropped; the survivors are grouped by report in date
order, or laid out as a timeline when the question asks about progress.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ingest.boilerplate import key as shape_key
from ingest.chunk import quotable_spans
from ingest.clean import SIGNATURE, SIGNATURE_RE
from index.records import Passage

from . import plainwords
from .citing import of_passage
from .inert import inert
from .records import AnswerSentence, Citation
from .settings import Settings

if TYPE_CHECKING:
    from .corpus import Corpus

STOP = {"the", "a", "an", "of", "and", "or", "to", "in", "on", "for", "with", "is", "are", "was", "were",
        "be", "been", "has", "have", "had", "its", "it", "this", "that", "by", "as", "at", "from"}
CHANGE_RE = re.compile(r"\b(progress|reduced|reduction|improv\w*|increas\w*|decreas\w*|encourag\w*|still|"
                       r"not yet|yet|no longer|now|compl(y|ies|iant|iance)|backlogs?|limited|from \d[\d.]* "
                       r"(per ?cent|%)?\s*\w* ?\w* ?\w* ?to \d)", re.I)
FIGURES_RE = re.compile(r"\bfrom [£]?\d[\d.,]*\s*(%|per ?cent)?.{0,40}?\bto [£]?\d", re.I)
RECOMMENDATION_RE = re.compile(r"\b(should|recommend\w*|areas? for improvement|needs? to)\b", re.I)


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the document's cleaned text
    end: int
    text: str
    # how well it answers, what the answer orders and stops by: the hand-set score `score()` gives,
    # then the answer model's probability (assistant/answer_model.apply), which keeps the former in `hand`
    score: float = 0.0
    evidence: float = 0.0  # how well its words and meaning match the question alone
    typed: bool = True  # holds what the question asks for (a figure, a date, a name, a grade)
    vector: np.ndarray | None = None
    hand: float = 0.0
    features: np.ndarray | None = None
    also: list[Passage] = field(default_factory=list)  # other reports printing the same sentence


def stems(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP and len(w) > 2}


def concepts(topic: str, question: str) -> list[set[str]]:
    """What a sentence should share with the question, a set of interchangeable stems per concept: each
    word of the topic, and each plain phrase with the words reports use for it (assistant/plainwords.py)."""
    own = stems(topic) or stems(question)
    out: list[set[str]] = []
    for e in plainwords.expansions(question):
        plain = stems(e.plain)
        own -= plain
        out.append(plain | stems(" ".join(e.report)))
    return [{s} for s in sorted(own)] + out


# What a question asks for, and the sentences that can carry it: a row per kind of question.
# a figure: digits that are not a year (a date is not a count), or a number written in words
NUMBER_WORDS = (r"(?<![\d/.-])(?!(?:19|20)\d\d\b)\d[\d,.]*(?!\.\s)|(?i:\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                r"hundred|thousand|million|half|third|quarter|per ?cent)\b)")  # "Twelve officers…" opens a sentence
ANSWER_TYPES = [
    # (question cue, what an answering sentence holds, what it is called, required: without one the
    #  reports do not answer; otherwise only a bonus, the bonus, note)
    (r"\bwhat (?:percentage|proportion|share)\b|\bhow many (?:per ?cent|percent)", r"\d\s?%|\bper ?cent\b|"
     r"\b(?:half|third|quarter|two-thirds|three-quarters)\b", "percentage", True, 0.1, "percentages"),
    (r"\bhow many\b|\bhow much (?!progress|has|did|does|is)|\bwhat (?:number|proportion|percentage|share)\b|"
     r"\bwhat (?:is|was) the [\w -]{0,30}rate\b", NUMBER_WORDS, "figure", True, 0.1,
     "numbers questions cite the sentence with the figure"),
    (r"\bwhat (?:\w+ ){0,2}(?:grades?|judgm?ents?|ratings?)\b|\bhow (?:was|were|is|are) [\w' -]{1,40} "
     r"(?:graded|judged|rated)\b|\bwhich areas? [\w' -]{0,40}(?:graded|judged?|rated)\b",
     r"(?i)\b(?:outstanding|good|adequate|requires improvement|inadequate|not yet graded)\b", "grade", True, 0.1,
     "graded judgments"),
    (r"^(?:when|on what date|in what year|what date|what year)\b",
     r"(?i)\b(?:19|20)\d{2}\b|\b(?:january|february|march|april|may|june|july|august|september|october|"
     r"november|december|spring|summer|autumn|winter)\b", "date", True, 0.1, "dates"),
    (r"\bhow (?:long|often|quickly|fast)\b", NUMBER_WORDS + r"|\b(?:daily|weekly|monthly|quarterly|annually|"
     r"yearly|immediately|promptly)\b", "figure", False, 0.1, "durations and frequencies, often in words"),
    (r"^(?:who|which (?:hm )?inspectors?|which (?:bodies|body|organisations?|inspectorates?))\b",
     r"(?:[A-Z][a-z]+ )+(?:of )?[A-Z][a-z]+|\bH(?:er|is)? Majesty|\bHMI|\bInspectorate|Home Secretary|"
     r"\bCommissioner", "name", False, 0.1, "people and bodies"),
    # a signature block ("Jane Smith, Her Majesty's Inspector of Constabulary") shares no words with
    # the question and scores low on meaning, yet it is the whole answer to who signed a report or letter
    (r"\b(?:who|which [\w ]{0,30}?)\s+(?:signed|wrote|authored)\b|\bsignator(?:y|ies)\b", SIGNATURE, "signature",
     False, 0.8, "who signed: the signature block"),
]
_ANSWER_TYPES = [(re.compile(q, re.I), re.compile(a), what, req, bonus) for q, a, what, req, bonus, _ in ANSWER_TYPES]
BOILERPLATE_PENALTY = 0.3  # a sentence many reports print word for word comes last


# Sentences about the publication itself rather than what it found: what the report is, what the
# inspection looked at and how. They echo a question's words ("inspection", "assessment", the force,
# the subject) and outrank the finding that answers it, unless the question asks about the
# inspection itself (its scope, period, method, authors). A row per way reports frame themselves.
FRAMING = [
    (r"^this (?:is|was) (?:the|our|a|an|hmic\w*['’]s) (?:first |second |third |fourth |fifth |\w+ )?"
     r"(?:\w+ ){0,3}?(?:report|inspection|assessment|review|publication)s?\b", "the report introducing itself"),
    (r"^(?:this|the|our) (?:\w+ ){0,2}?(?:report|inspection|assessment|review|document)s? (?:describes?|sets? out|"
     r"considers?|examines?|examined|looks? at|looked at|assess(?:es|ed)?|covers?|covered|is|was|will|focus(?:es|ed)?|"
     r"forms?|contains?|presents?|summarises?|provides?|draws?|builds?)\b", "what the report or inspection does"),
    (r"^(?:in|as part of|for) (?:making |preparing |carrying out )?(?:this|the|our|these) (?:\w+ ){0,2}?"
     r"(?:report|inspection|assessment|review|work)s?\b", "how the assessment was made"),
    (r"^(?:in (?:\w+ )?(?:19|20)\d\d,? )?(?:hmic\w*|her majesty['’]s inspectorate[\w ,&]*?(?: \(hmic\w*\))?|we|"
     r"the inspectorate|inspectors?) (?:has |have |had )?(?:also |then |first )?(?:examined|assessed|"
     r"inspected|reviewed|began|begun|published|announced|continued to inspect|carried out|conducted|interviewed|"
     r"visited|spoke|surveyed|last published|commissioned|decided|set out to)\b", "what the inspectorate did"),
    (r"^(?:since|before|after) (?:this|that|the|our) (?:\w+ ){0,2}?(?:report|inspection|assessment)s?\b",
     "what happened around the publication"),
    (r"^it (?:is|isn['’]t|is not) (?:possible|not possible|important) to (?:make |draw )?(?:direct )?compar",
     "a caveat on comparisons"),
    (r"^(?:the )?peel\b(?: \([^)]{0,80}\))? (?:is|was|gives|provides|assesses|aims|programme)\b",
     "what the inspection programme is"),
    (r"^(?:these|this) (?:are|is) (?:just )?(?:some|one|a few) of the (?:main )?(?:findings|conclusions)\b",
     "a pointer to the report's findings"),
]
_FRAMING = [re.compile(p, re.I) for p, _ in FRAMING]
# a question about the inspection itself: a framing sentence may be its answer
ABOUT_THE_INSPECTION = re.compile(
    r"\b(?:scope|period|cover(?:ed|s)?|method\w*|approach|examin\w*|look(?:ed)? at|focus\w*|themes?|"
    r"carried out|conducted|commissioned|inspected|visited|surveyed|interviewed|who (?:signed|wrote|led)|signed|"
    r"which (?:bodies|inspectorates?|forces were (?:visited|inspected))|how many [\w ]{0,30}(?:did|were) "
    r"(?:inspectors|hmic\w*|we) (?:examine|review|read|visit|inspect)|when (?:was|were|did))\b", re.I)
FRAMING_PENALTY = 0.4

# "HMI Jane Smith set out three recommendations:" says nothing until its items do:
# each item that follows a lead-in (only bullets or numbering between, in the same passage or at the
# start of the next) is as relevant as the lead-in was, and the lead-in, a fragment, yields to them
LEAD_IN_RE = re.compile(r":[\s\"'”’]*$")
LEAD_IN_PENALTY = 0.4
ITEM_DECAY = 0.05  # the first item takes the lead-in's evidence less this, the next less twice this…
MAX_ITEMS = 8
LIST_GAP_RE = re.compile(r"\s*(?:(?:[•▪●◦·*–-]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s*)?")


# What a lead states before its quote when the question asks for it: a row per kind asked for, with
# the pattern whose one match in the lead sentence is the answer (two matches: not stated, a guess).
STATED = [
    ("grade", r"(?i)\b(?:graded|judged|rated|assessed|found|was|is|as|be|been)\s+(?:as\s+|to be\s+)?"
     r"(outstanding|good|adequate|requires improvement|inadequate)\b"),
    ("percentage", r"(\d[\d.,]*\s?(?:%|per ?cent))"),
    ("figure", r"(?<![\d/.-])((?!(?:19|20)\d\d\b)\d[\d,.]*\d|\d)(?![\d/])(?!\.\d)"),
    ("date", r"(?i)\b((?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|"
     r"November|December)? ?(?:19|20)\d\d)\b"),
]
_STATED = [(what, re.compile(rx)) for what, rx in STATED]


def stated(question: str, text: str) -> tuple[str, str] | None:
    """(what, the words of `text` that state it) when the question requires a grade, a percentage, a
    figure or a date and the sentence holds exactly one; else None."""
    asked = {what for cue, _, what, req, _ in _ANSWER_TYPES if req and cue.search(question.strip())}
    for what, rx in _STATED:
        if what in asked:
            found = {m.group(1).strip() for m in rx.finditer(text)}
            return (what, found.pop()) if len(found) == 1 else None
    return None


def framing(text: str) -> bool:
    """A sentence about the publication or the inspection itself, not about what it found."""
    t = text.strip()
    return any(rx.search(t) for rx in _FRAMING)


def wants(question: str, required: bool | None = None) -> list[re.Pattern]:
    """The patterns an answering sentence should hold, from the kind of question asked (only the
    required ones, or only the optional ones, when `required` says)."""
    return [answer for cue, answer, _, req, _ in _ANSWER_TYPES
            if cue.search(question.strip()) and (required is None or req == required)]


def type_bonus(question: str) -> float:
    """How much a sentence holding everything the question asks for is raised."""
    return max((bonus for cue, _, _, _, bonus in _ANSWER_TYPES if cue.search(question.strip())), default=0.0)


def lacking(question: str) -> str:
    """What the question requires, in words ("figure", "date"), or "" when it requires no one thing."""
    return " or ".join(what for cue, _, what, req, _ in _ANSWER_TYPES if req and cue.search(question.strip()))


# Page furniture a PDF's text carries between findings: never a finding to quote. A row per kind.
FURNITURE = [
    (r"©", "a copyright or image credit line"),
    (r"^(?:[ivxlc]{1,5}\s+|\d{1,3}\s+)?[A-Z][A-Z’' &,-]{5,}(?:\s+(?:[ivxlc]{1,5}|\d{1,3}))?$",
     "a running header or footer in capitals, with its page number"),
    (r"\bContents\b(?:\s+\d{1,3}\s+[A-Z][\w’' -]{2,40}){1,}$", "a contents list run into one line"),
]
_FURNITURE = [re.compile(p) for p, _ in FURNITURE]


def furniture(text: str) -> bool:
    t = " ".join(text.split())
    return any(rx.search(t) for rx in _FURNITURE)


def _heading_like(text: str, headings: set[str]) -> bool:
    """A title, heading, menu, contents line or page furniture: never a finding to quote."""
    norm = " ".join(text.split()).lower()
    if norm in headings or furniture(text):
        return True
    if SIGNATURE_RE.match(text.strip()):
        return False  # "Jane Smith, Her Majesty's Inspector of Constabulary" answers who signed
    # a line with no sentence ending, no figure and few words is a heading or a label, not a finding
    if re.search(r"(?:\.\s?){4,}\s*\d*$|…\s*\d+$", text.strip()):
        return True  # a contents entry with dot leaders
    return not re.search(r"[.!?:;”\"')]$", text.strip()) and not re.search(r"\d", text) and len(text.split()) <= 15


def candidates(passages: list[Passage], headings: dict[str, set[str]] | None = None) -> list[Candidate]:
    """The sentences of `passages` an answer may quote; `headings` (doc_id -> lower-cased titles and
    headings) keeps titles and headings out."""
    out = []
    for p in passages:
        skip = (headings or {}).get(p.doc_id, set())
        for s, e in quotable_spans(p.text):
            text = p.text[s:e]
            if not _heading_like(text, skip):
                out.append(Candidate(p, p.start + s, p.start + e, text))
    return out


def score(cands: list[Candidate], topic: str, question: str, embed, progress: bool = False,
          boilerplate: set[int] | None = None, embed_query=None, weights: Settings | None = None) -> None:
    """`embed` maps sentences to unit vectors (those without a stored one), `embed_query` one
    question (cached by the index's embedder); `boilerplate`: keys of sentence shapes printed in many
    reports (ingest/boilerplate.py), quoted last; `weights`: the settings that weigh the parts of a
    sentence's score (rank_weight, overlap_weight, context_weight, change_bonus, figures_bonus), the
    table's defaults when not given."""
    if not cands:
        return
    w = weights or Settings.defaults()
    wanted, needed, bonus = wants(question), wants(question, required=True), type_bonus(question)
    top = max((c.passage.score for c in cands), default=0.0) or 1.0
    # sentences the index stored vectors for (at ingest) arrive with c.vector set; the rest are embedded here
    todo = [c for c in cands if c.vector is None]
    for c, v in zip(todo, embed([c.text for c in todo]) if todo else [], strict=True):
        c.vector = v
    embed_query = embed_query or (lambda text: embed([text])[0])
    # the topic alone ("vetting") and the whole question ("… progress … since 2014") each miss
    # something; their mean direction keeps both
    q = embed_query(topic or question) + embed_query(question)
    q = q / np.linalg.norm(q)
    wanted_concepts = concepts(topic, question)
    about_inspection = bool(ABOUT_THE_INSPECTION.search(question))
    signed = any(a.pattern == SIGNATURE for a in wanted)
    previous: Candidate | None = None
    for c in cands:
        v = c.vector
        own = stems(c.text)
        overlap = sum(1 for k in wanted_concepts if k & own) / max(1, len(wanted_concepts))
        # "The department reduced its backlogs…" is about vetting because the sentence before it is
        same_para = previous is not None and previous.passage is c.passage and \
            "\n" not in c.passage.text[previous.end - c.passage.start:c.start - c.passage.start]
        context = (sum(1 for k in wanted_concepts if k & stems(previous.text)) / max(1, len(wanted_concepts))
                   if same_para else 0.0)
        c.evidence = float(np.dot(q, v)) + w.overlap_weight * overlap + w.context_weight * context
        c.typed = all(w.search(c.text) for w in needed)
        # the passage's retrieval rank is evidence too: it weighed exact terms, meaning and the report
        c.score = (c.evidence + (bonus if wanted and all(w.search(c.text) for w in wanted) else 0.0)
                   + w.rank_weight * max(0.0, c.passage.score) / top)
        if boilerplate and shape_key(c.text) in boilerplate:
            c.score -= BOILERPLATE_PENALTY
        if not about_inspection and framing(c.text):
            c.score -= FRAMING_PENALTY
        if not signed and SIGNATURE_RE.match(c.text):
            c.score -= FRAMING_PENALTY  # a signature answers who signed, and nothing else
        if progress and CHANGE_RE.search(c.text):
            c.score += w.change_bonus  # a progress question wants what changed and where things stand
            if FIGURES_RE.search(c.text):
                c.score += w.figures_bonus  # …and measured change most of all
        previous = c
    items = list_items(cands)
    for item, lead, n in items:  # in document order, so a nested list inherits in turn
        inherited = lead.evidence - ITEM_DECAY * n
        if inherited > item.evidence:
            item.score += inherited - item.evidence
            item.evidence = inherited
    for lead in {id(lead): lead for _, lead, _ in items}.values():
        lead.score -= LEAD_IN_PENALTY  # its items say it; alone (items not retrieved) it still points the way


def list_items(cands: list[Candidate]) -> list[tuple[Candidate, Candidate, int]]:
    """(item, its lead-in, its position 1..) for each sentence that follows a lead-in ending in a
    colon with only bullets or numbering between, in document order; an item may lead a list itself."""
    order = sorted({(c.passage.doc_id, c.start): c for c in cands}.values(), key=lambda c: (c.passage.doc_id, c.start))
    out: list[tuple[Candidate, Candidate, int]] = []
    lead: tuple[Candidate, int] | None = None  # the current lead-in and the items given to it so far
    for prev, c in zip(order, order[1:]):
        if not _adjacent(prev, c):
            lead = None
            continue
        if LEAD_IN_RE.search(prev.text):
            lead = (prev, 0)
        if lead is not None and lead[1] < MAX_ITEMS:
            lead = (lead[0], lead[1] + 1)
            out.append((c, lead[0], lead[1]))
        else:
            lead = None
    return out


def _adjacent(a: Candidate, b: Candidate) -> bool:
    """`b` follows `a` in the same document with only list marks between (across a chunk boundary too)."""
    if a.passage.doc_id != b.passage.doc_id or b.start < a.end:
        return False
    if a.passage is b.passage or a.passage.chunk_id == b.passage.chunk_id:
        return bool(LIST_GAP_RE.fullmatch(a.passage.text[a.end - a.passage.start:b.start - a.passage.start]))
    tail = a.passage.text[a.end - a.passage.start:]
    head = b.passage.text[:b.start - b.passage.start]
    return b.passage.start - a.passage.end <= 4 and bool(LIST_GAP_RE.fullmatch(tail + " " + head))


def select(cands: list[Candidate], limit: int, per_doc: int, floor: float, duplicate: float) -> list[Candidate]:
    """Best sentences above `floor`, at most `per_doc` from one report, none within `duplicate` (cosine)
    of one chosen before."""
    chosen: list[Candidate] = []
    per: dict[str, int] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        if c.score < floor or len(chosen) >= limit:
            break
        if per.get(c.passage.doc_id, 0) >= per_doc:
            continue
        if any(c.start == o.start and c.passage.doc_id == o.passage.doc_id for o in chosen):
            continue
        if (same := next((o for o in chosen if float(np.dot(c.vector, o.vector)) > duplicate), None)) is not None:
            # the same finding said again, often word for word in another force's report: quoted once,
            # naming the others
            if same.passage.doc_id != c.passage.doc_id and all(a.doc_id != c.passage.doc_id for a in same.also):
                same.also.append(c.passage)
            continue
        chosen.append(c)
        per[c.passage.doc_id] = per.get(c.passage.doc_id, 0) + 1
    return chosen


def select_per_report(cands: list[Candidate], per_doc: int, floor: float, margin: float,
                      duplicate: float) -> list[Candidate]:
    """For a timeline every report with real evidence speaks: its own best sentences, not only the
    corpus-wide best, so a report that says less still gets its year."""
    by_doc: dict[str, list[Candidate]] = {}
    for c in cands:
        by_doc.setdefault(c.passage.doc_id, []).append(c)
    chosen: list[Candidate] = []
    for doc_cands in by_doc.values():
        best = max(c.score for c in doc_cands)
        if best < floor:
            continue
        chosen += select(doc_cands, limit=per_doc, per_doc=per_doc, floor=max(floor, best - margin),
                         duplicate=duplicate)
    deduped: list[Candidate] = []
    for c in sorted(chosen, key=lambda c: -c.score):
        same = next((o for o in deduped if float(np.dot(c.vector, o.vector)) > duplicate), None)
        if same is None and not _table_note(c.text):
            deduped.append(c)
        elif same is not None and same.passage.doc_id != c.passage.doc_id:
            same.also.append(c.passage)
    return deduped


def _table_note(text: str) -> bool:
    return bool(re.match(r"(The proportion|The chart above|Information above|Proportion of)", text))


# a sentence extraction ended at a list item's or clause's connector ("…and corruption; and"): quoted to
# the end of its clause, so it does not read as cut off
CUT_END_RE = re.compile(r"\s*[;,]\s*(?:and|or)?\s*$")


def clause(c: Candidate) -> Candidate:
    """`c` without a trailing connector (the quote stays an exact substring of its passage)."""
    m = CUT_END_RE.search(c.text)
    if not m or m.start() == 0:
        return c
    return replace(c, end=c.start + m.start(), text=c.text[:m.start()])


def cite(chosen: list[Candidate], page_of) -> tuple[list[Citation], dict[int, int]]:
    citations, number = [], {}
    for c in chosen:
        if id(c) in number:
            continue
        n = len(citations) + 1
        number[id(c)] = n
        citations.append(of_passage(n, c.passage, c.start, c.end, page_of))
    return citations, number


def compose(chosen: list[Candidate], timeline: bool, corpus: Corpus,
            question: str = "") -> tuple[str, list[AnswerSentence], list[Citation]]:
    """Markdown grouped by report, the report holding the best sentence first and each report's best
    sentence first: an officer reads the first line first. Where the question asks for a grade, a
    figure or a date and the best sentence holds one, the first line states it, cited. A timeline
    (year → force → findings) keeps year order, and within a year the same order."""
    chosen = [clause(c) for c in chosen]
    best = {}
    for c in chosen:
        best[c.passage.doc_id] = max(best.get(c.passage.doc_id, float("-inf")), c.score)
    if timeline:
        ordered = sorted(chosen, key=lambda c: (c.passage.year or 0, -best[c.passage.doc_id], c.passage.doc_id,
                                                -c.score, c.start))
    else:
        ordered = sorted(chosen, key=lambda c: (-best[c.passage.doc_id], c.passage.doc_id, -c.score, c.start))
    citations, number = cite(ordered, corpus.page)
    lines: list[str] = []
    if not timeline and ordered and (found := stated(question, ordered[0].text)):
        p = ordered[0].passage
        lines.append(f"**{found[0].capitalize()}: {inert(found[1])}** ({', '.join(p.forces) or 'no force'}, "
                     f"{p.year or 'year unknown'}) [{number[id(ordered[0])]}]")
    sentences: list[AnswerSentence] = []
    current_year, current_doc = None, None
    for c in ordered:
        p = c.passage
        if timeline and p.year != current_year:
            current_year, current_doc = p.year, None
            lines.append(f"\n### {p.year or 'Year unknown'}")
        if p.doc_id != current_doc:
            current_doc = p.doc_id
            period = corpus.period(p.doc_id)
            label = f"**{', '.join(p.forces) or 'No force'}** · {p.title}" + (f" ({period})" if period else "")
            # a blank line first, or Markdown folds the label into the previous bullet
            lines.append("\n" + label + ("" if timeline else f", {p.year or 'year unknown'}"))
        n = number[id(c)]
        same = "; ".join(f"{', '.join(a.forces) or a.title} {a.year or ''}".strip() for a in c.also)
        lines.append(f"- {inert(c.text)} [{n}]" + (f" *(the same in: {inert(same)})*" if same else ""))
        sentences.append(AnswerSentence(text=c.text, citations=[n]))
    if timeline and ordered:
        newest = max(c.passage.year or 0 for c in ordered)
        latest = [c for c in ordered if (c.passage.year or 0) == newest]
        lines.append(f"\n**Latest position ({newest}):** " + " ".join(f"{inert(c.text)} [{number[id(c)]}]" for c in latest[:2]))
        open_items = [c for c in ordered if RECOMMENDATION_RE.search(c.text)]
        if open_items:
            lines.append("\n**Recommendations and areas for improvement in these reports:**")
            lines.extend(f"- {c.passage.year}: {inert(c.text)} [{number[id(c)]}]" for c in open_items)
    return "\n".join(lines).strip(), sentences, citations
