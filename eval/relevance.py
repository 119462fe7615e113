"""Relevance by evidence, not by ids: a passage is relevant when it holds a relevant quote.

Both sides are reduced to lower-case word tokens, so whitespace, line-end hyphens, bullets,
Markdown emphasis and the other layout the ingest cleaner removes do not matter; ids and chunk
boundaries do not either, so scores survive any change to chunking. A quote split across two
passages counts for each passage that holds at least half of it (the one holding most of it, or
both on an even split).
"""
from __future__ import annotations

import re

from .dataset import Evidence

TOKEN_RE = re.compile(r"[^\W_]+")


def normal(text: str) -> str:
    return " " + " ".join(TOKEN_RE.findall(text.lower())) + " "


def share_held(passage: str, quote: str) -> float:
    """Largest share of `quote` (normalised) that `passage` holds as its start or its end."""
    p, q = normal(passage), normal(quote)
    if q in p:
        return 1.0
    words = q.split()
    best = 0
    for piece in (lambda n: " " + " ".join(words[:n]) + " ",  # the passage ends with the quote's start
                  lambda n: " " + " ".join(words[-n:]) + " "):  # … or starts with its end
        lo, hi = 1, len(words) - 1
        while lo <= hi:  # containment is monotonic in the prefix (suffix) length
            mid = (lo + hi) // 2
            if piece(mid) in p:
                best, lo = max(best, mid), mid + 1
            else:
                hi = mid - 1
    return best / max(1, len(words))


def holds(passage_text: str, passage_file: str, evidence: Evidence) -> bool:
    if passage_file != evidence.file:
        return False
    return share_held(passage_text, evidence.quote) >= 0.5


def matched(passage_text: str, passage_file: str, relevant: list[Evidence]) -> set[int]:
    """Indexes of the relevant quotes this passage holds."""
    return {i for i, e in enumerate(relevant) if holds(passage_text, passage_file, e)}
