"""Sentences the inspectorate prints in every report of a kind (the paragraph explaining
what PEEL is, "This is HMIC's <ordinal> PEEL assessment of <force>"): true of every
force, an answer to nothing. Found from the corpus itself: a sentence shape (force names, numbers
and ordinals masked) that occurs in several documents is boilerplate, and answers quote it last.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ingest import forces as force_table
from ingest.chunk import sentence_spans

MIN_DOCUMENTS = 3  # a shape in this many documents is boilerplate
_ORDINALS = r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"


def _force_re() -> re.Pattern:
    names = {n for c, aliases in force_table.FORCES.items() for n in [c, *aliases] if len(n) > 3}
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alt})\b(?:’s|'s)?", re.I)


_FORCE_RE = _force_re()


def shape(sentence: str) -> str:
    """The sentence with what varies between reports of a kind masked: force, inspectorate, numbers."""
    s = _FORCE_RE.sub(" qforceq ", sentence)
    s = re.sub(r"\bHMIC(?:FRS)?(?:’s|'s|’)?|\bH(?:er|is)? Majesty’s Inspectorate of Constabulary[\w ,&]*", " qinspq ", s)
    s = re.sub(_ORDINALS, " qordq ", s, flags=re.I)
    s = re.sub(r"\d[\d,./]*", " 0 ", s)
    return " ".join(re.findall(r"[a-z0-9]+", s.lower()))


def shapes_in_documents(chunks) -> set[str]:
    """Shapes that occur in at least MIN_DOCUMENTS documents."""
    where: dict[str, set[str]] = defaultdict(set)
    for c in chunks:
        for s, e in sentence_spans(c.text):
            text = c.text[s:e]
            if len(text.split()) >= 6:
                where[shape(text)].add(c.doc_id)
    return {k for k, docs in where.items() if len(docs) >= MIN_DOCUMENTS}
