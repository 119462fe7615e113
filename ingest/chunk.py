"""Structure-aware chunking: a chunk stays inside one section, ends on a sentence, fits the model."""
from __future__ import annotations

import re
from typing import Callable

from .clean import Cleaned
from .records import Chunk, Document

ABBREVIATIONS = {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "st", "vs", "approx", "cf", "para",
                 "fig", "co", "ltd", "inc", "jr", "sr", "prof", "hon", "rt", "gov", "dept"}
BOUNDARY_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z0-9“\"‘'(£•-])")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end] as absolute offsets, trimmed of surrounding space."""
    end = len(text) if end is None else end
    spans, cur = [], start
    for m in BOUNDARY_RE.finditer(text, start, end):
        before = text[cur:m.start()].rstrip("\"'”’)]")
        last_word = re.split(r"[\s(]", before)[-1].rstrip(".").lower()
        if last_word in ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue
        spans.append((cur, m.start()))
        cur = m.end()
    if cur < end:
        spans.append((cur, end))
    return [(s, e) for s, e in ((_lstrip(text, s, e), e) for s, e in spans) if text[s:e].strip()]


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """The spans of a chunk's text an answer may quote: its sentences, each inside one line (table
    rows and list items end at the line), the bullet mark left out; fragments under four words and
    questions are not findings. Ingest embeds exactly these, so an answer embeds only the question."""
    out = []
    for line in re.finditer(r"[^\n]+", text):
        for s, e in sentence_spans(text, line.start(), line.end()):
            if text.startswith("- ", s):
                s += 2
            piece = text[s:e]
            if len(piece.split()) >= 4 and not piece.endswith("?"):
                out.append((s, e))
    return out


def _lstrip(text: str, s: int, e: int) -> int:
    while s < e and text[s].isspace():
        s += 1
    return s


def context_line(doc: Document, section: str) -> str:
    forces = ", ".join(doc.forces) or "no force"
    year = str(doc.year) if doc.year else "year unknown"
    # the title, not the programme: questions name the report more often than its programme, and the
    # title carries both (measured: eval/RESULTS.md, "Sweep")
    parts = [forces, year, doc.title] + ([section] if section and section != doc.title else [])
    line = " · ".join(parts)
    return line if len(line) <= 300 else line[:297] + "…"


def chunk_document(doc: Document, cleaned: Cleaned, count_tokens: Callable[[str], int], *,
                   max_tokens: int, window: int) -> list[Chunk]:
    """Pack whole sentences of one section into chunks of at most `max_tokens` text tokens and
    never more than the model `window` once the context line and special tokens are added."""
    text = cleaned.text
    chunks: list[Chunk] = []
    groups: list[tuple[str, list]] = []
    for b in cleaned.blocks:
        if b.kind == "heading":
            continue
        if not groups or groups[-1][0] != b.section:
            groups.append((b.section, []))
        groups[-1][1].append(b)
    for section, blocks in groups:
        context = context_line(doc, section)
        budget = min(max_tokens, window - 2 - count_tokens(context) - 1)
        units: list[tuple[int, int]] = []
        for b in blocks:
            for s, e in sentence_spans(text, b.start, b.end):
                units.extend(_split_long(text, s, e, budget, count_tokens))
        for s, e in _pack(text, units, budget, count_tokens):
            ordinal = len(chunks)
            chunks.append(Chunk(
                chunk_id=f"{doc.doc_id}:{ordinal:04d}", doc_id=doc.doc_id, ordinal=ordinal,
                text=text[s:e], start=s, end=e, section=section,
                page_start=doc.page_at(s), page_end=doc.page_at(e - 1),
                forces=list(doc.forces), year=doc.year, programme=doc.programme, kind=doc.kind,
                title=doc.title, context=context))
    return chunks


def _split_long(text: str, s: int, e: int, budget: int, count: Callable[[str], int]):
    """A single sentence longer than the budget is cut at word boundaries. Each cut searches a
    window a few times the budget wide, never the whole rest of the sentence, so time grows with the
    sentence's length, not its square (a table or minified page extracted as one "sentence" can be
    hundreds of KB, docs/BENCHMARKS.md)."""
    if count(text[s:e]) <= budget:
        return [(s, e)]

    def short(cur: int, hi: int) -> bool:
        """text[cur:hi] cut at its last space is within the budget, or has no space to cut at."""
        cut = text.rfind(" ", cur, hi)
        return cut <= cur or count(text[cur:cut]) <= budget

    pieces, cur = [], s
    while cur < e:
        width = budget * 8  # characters: about twice what `budget` tokens of prose take
        hi = min(e, cur + width)
        while hi < e and short(cur, hi):  # the longest cut that fits lies beyond: widen
            width *= 2
            hi = min(e, cur + width)
        lo, best = cur + 1, None
        while lo <= hi:  # longest prefix that fits, ending at whitespace
            mid = (lo + hi) // 2
            cut = text.rfind(" ", cur, mid) if mid < e else e
            if cut <= cur:
                lo = mid + 1
                continue
            if count(text[cur:cut]) <= budget:
                best, lo = cut, mid + 1
            else:
                hi = mid - 1
        best = best or e
        pieces.append((cur, best))
        cur = _lstrip(text, best, e)
    return pieces


def _pack(text: str, units: list[tuple[int, int]], budget: int, count: Callable[[str], int]):
    out: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for s, e in units:
        if cur is None:
            cur = (s, e)
        elif count(text[cur[0]:e]) <= budget:
            cur = (cur[0], e)
        else:
            out.append(cur)
            cur = (s, e)
    if cur:
        out.append(cur)
    return out
