"""Sentences the inspectorate prints in every report of a kind (the paragraph explaining
what PEEL is, "This is HMIC's <ordinal> PEEL assessment of <force>"): true of every
force, an answer to nothing. Found from the corpus itself: a sentence shape (force names, numbers
and ordinals masked) that occurs in several documents is boilerplate, and answers quote it last.

Ingest stores each document's shape keys (64-bit hashes) in the catalog, so the corpus's boilerplate
is one GROUP BY, not a pass over every sentence (46 s at 100k chunks, docs/BENCHMARKS.md "Scale").
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from . import forces as force_table
from .chunk import sentence_spans

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


def key(sentence: str) -> int:
    """The sentence's shape as a signed 64-bit integer (what the catalog stores)."""
    return int.from_bytes(hashlib.blake2b(shape(sentence).encode(), digest_size=8).digest(), "big", signed=True)


def document_keys(chunks) -> set[int]:
    """The shape keys of one document's sentences of six words or more."""
    return {key(c.text[s:e]) for c in chunks for s, e in sentence_spans(c.text) if len(c.text[s:e].split()) >= 6}


def shapes_in_documents(chunks) -> set[int]:
    """Shape keys that occur in at least MIN_DOCUMENTS documents (from the chunks themselves, for a
    store that keeps no keys)."""
    by_doc: dict[str, list] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    where: dict[int, int] = defaultdict(int)
    for doc_chunks in by_doc.values():
        for k in document_keys(doc_chunks):
            where[k] += 1
    return {k for k, n in where.items() if n >= MIN_DOCUMENTS}
