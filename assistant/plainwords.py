"""Plain words in a question, and the words inspection reports use for the same thing.

An officer asks whether the inspector was "worried" that things were "going downhill"; the report says
it is "concerned" about "deteriorating performance". The embedding model links some of these pairs
and misses others, and the words themselves never meet. A row per pair of vocabularies: the plain
words (a regex on the question) and the report's words, added to what retrieval searches for and
counted, when scoring a sentence, as the question's own word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

REPORT_WORDS = [
    # (plain words in a question, the words reports use, note)
    (r"\bworr(?:y|ies|ied|ying)\b|\btroubled\b", "concerned concern", "a worry is a concern"),
    (r"\bgo(?:ing|ne)? downhill\b|\bgetting worse\b|\bslipp(?:ing|ed)\b", "deteriorating deterioration",
     "decline in performance"),
    (r"\block(?:ed)? up\b|\bin the cells\b|\bcells\b|\bjail(?:ed)?\b", "custody detainees", "people held by the police"),
    (r"\byoungsters\b|\bkids\b|\bteenagers\b|\bjuveniles\b", "children", "children and young people"),
    (r"\bprais(?:e|ed|ing)\b|\bdid (?:it|they|the force) do well\b|\bcompliment(?:s|ed)?\b", "good positive commend",
     "what the inspectorate found good"),
    (r"\bphones?\b|\bring(?:s|ing)? (?:in|the police)\b", "calls call",
     "answering the public's calls"),
    (r"\bbacked\b|\bbacking\b|\bstood by\b", "supported support", "support for staff who speak up"),
    (r"\bmisbehav(?:e|ed|ing|iour)\b|\bwrongdoing\b|\bbad behaviour\b", "inappropriate behaviour misconduct",
     "misconduct"),
    (r"\bcall(?:ing)? out\b|\bspeak(?:ing)? up\b|\bblow(?:s|ing)? the whistle\b|\bwhistle-?blow\w*",
     "challenge report confidential reporting", "reporting colleagues"),
    (r"\bsacked\b|\bfired\b|\bkicked out\b", "dismissed dismissal", "dismissal"),
    (r"\bbent\b|\bdodgy\b|\bon the take\b|\bbackhanders?\b", "corruption corrupt", "corruption"),
    (r"\bbackground checks?\b|\bchecks? on (?:staff|people|recruits|officers)\b|"
     r"\b(?:re-?)?check\w* (?:the |their )?backgrounds?\b", "vetting",
     "vetting"),
    (r"\bcops\b|\bcoppers\b|\bbobbies\b", "officers", "police officers"),
]
_ROWS = [(re.compile(p, re.I), words.split()) for p, words, _ in REPORT_WORDS]


@dataclass
class Expansion:
    plain: str  # the question's words, as asked
    report: list[str]  # the words reports use for them


def expansions(question: str) -> list[Expansion]:
    """The report words for each plain phrase of the question, in table order."""
    out = []
    for rx, words in _ROWS:
        if m := rx.search(question):
            out.append(Expansion(m.group(0), words))
    return out


def search_words(question: str) -> str:
    """The report words to search for beside the question, or "" when it uses none of the plain ones."""
    return " ".join(w for e in expansions(question) for w in e.report)
