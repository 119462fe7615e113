"""Undo the artifacts of PDF and web extraction while keeping every word as written.

The cleaner works on blocks (runs of lines between blank lines), page by page, because that is the
unit the artifacts come in: a running header is a block at a page edge, an infographic is a block of
three-word lines, a "force in numbers" table is a run of label blocks followed by value blocks.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from . import furniture
from .records import Section

BULLET_RE = re.compile(r"^\s*(?:[•▪■●◦‣∙·]|[-*](?=\s))\s*")
VALUE_RE = re.compile(r"^[£$]?\d[\d,]*(?:\.\d+)?%?$")
PAGE_NUMBER_RE = re.compile(r"^(?:page\s+)?\d{1,3}(?:\s+of\s+\d{1,3})?$", re.I)
# a signature block, "Jane Smith, Her Majesty's Inspector of Constabulary" or "JOHN A SMITH HM Chief
# Inspector of Constabulary 31 March 2031": short and unpunctuated like a heading, but
# it is what the report says of who signed it
SIGNATURE = (r"(?:\b(?:[A-Z][a-zà-ÿ’'.-]+|[A-Z]{2,}|[A-Z]\.?)(?:,\s*|\s+)){1,4}(?:H(?:er|is) Majesty[’']s|HM) "
             r"(?:Chief )?Inspector\b")
SIGNATURE_RE = re.compile(SIGNATURE)
GRADES = {"outstanding", "good", "requires improvement", "adequate", "inadequate", "poor"}
TOP_LEVEL_RE = re.compile(
    r"^(summary|introduction|recommendations|about this (review|report|inspection)|next steps|"
    r"conclusions?|findings for .+|the force/constabulary in numbers|.+ recommendations|"
    r"questions for .+|causes? of concern)$", re.I)
DATE_LINE_RE = re.compile(
    r"^((last )?updated|published|date)\b|^(january|february|march|april|may|june|july|august|"
    r"september|october|november|december) \d{4}$", re.I)
MD_BOLD_RE = re.compile(r"\*\*(.+?)\*\*", re.S)
MD_ITALIC_RE = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")


@dataclass
class Block:
    text: str
    kind: str  # heading | para | bullet | row
    page: int
    level: int = 0
    lines: int = 1
    infographic: bool = False
    raw: str = ""  # the block's lines as extracted, for contents-list detection


@dataclass
class SpanBlock:
    start: int
    end: int
    kind: str
    section: str
    page: int


@dataclass
class Cleaned:
    text: str
    pages: list[int]
    sections: list[Section]
    blocks: list[SpanBlock]
    stats: Counter = field(default_factory=Counter)
    furniture: list[str] = field(default_factory=list)  # what was dropped as furniture: still evidence of kind


def normalise(text: str) -> str:
    return " ".join(text.split())


def clean(raw: str, paged: bool = False, markdown: bool = True) -> Cleaned:
    stats: Counter = Counter()
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", " ")
    raw = raw.replace("\u00ad", "")  # soft hyphens are layout, not words
    pages = _split_pages(raw, paged, stats)
    paged = paged or len(pages) > 1
    page_blocks = [_page_blocks(p, i, markdown, stats) for i, p in enumerate(pages)]
    dropped = _drop_chrome(page_blocks, stats)
    for blocks in page_blocks:
        _pair_tables(blocks, stats)
    if paged:
        for blocks in page_blocks:
            _drop_page_numbers(blocks, stats)
        _running_headers(page_blocks, stats)
    flat = [b for blocks in page_blocks for b in blocks]
    flat = _dedupe(flat, stats)
    cleaned = _assemble(flat, len(pages) if paged else 0, stats)
    cleaned.furniture = dropped
    return cleaned


def _split_pages(raw: str, paged: bool, stats: Counter) -> list[str]:
    if "\f" in raw:
        return raw.split("\f")
    # Text pulled from a PDF by some tools marks each new page with a line that starts with a
    # single space; trust that only when it happens often enough to be a pattern.
    marks = re.findall(r"\n (?=\S)", raw)
    if len(marks) >= 3:
        stats["page_breaks"] += len(marks)
        return re.split(r"\n (?=\S)", raw)
    return [raw]


def _strip_markdown(line: str) -> tuple[str, int]:
    m = re.match(r"^(#{1,6})\s+(.*)$", line)
    level = 0
    if m:
        level, line = len(m.group(1)), m.group(2)
    return line, level


def _page_blocks(page: str, page_no: int, markdown: bool, stats: Counter) -> list[Block]:
    out: list[Block] = []
    if markdown:
        n = len(MD_BOLD_RE.findall(page)) + len(MD_ITALIC_RE.findall(page))
        page = MD_ITALIC_RE.sub(r"\1", MD_BOLD_RE.sub(r"\1", page))
        stats["markdown_marks"] += n
    for chunk in re.split(r"\n\s*\n", page):
        lines = [ln.strip() for ln in chunk.split("\n")]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        for group, is_bullet, md_level in _split_items(lines, stats):
            out.append(_make_block(group, is_bullet, md_level, page_no, stats))
    return out


def _heading_line(line: str) -> bool:
    return bool(re.match(r"[A-Z]", line) and not re.search(r"[.,;:]$", line)
                and len(line.split()) <= 8) or line.lower() in GRADES or bool(VALUE_RE.match(line))


def _split_items(lines: list[str], stats: Counter):
    """Split a raw block into bullet items and hard-wrapped paragraphs."""
    items: list[tuple[list[str], bool, int]] = []
    dangling = re.compile(r"\b(in|of|and|or|the|to|for|a|an|with|on|by|at|from|against)$", re.I)
    if 2 <= len(lines) <= 3 and all(_heading_line(ln) for ln in lines) \
            and not any(dangling.search(ln) for ln in lines[:-1]):
        # stacked title lines ("Report title" / "Force" / "Good"), not one wrapped heading
        return [([ln], False, _strip_markdown(ln)[1]) for ln in lines]
    width = max(len(ln) for ln in lines)
    if width > LINE_PER_PARAGRAPH:
        return _line_per_paragraph(lines)
    for ln in lines:
        ln, md_level = _strip_markdown(ln)
        bullet = BULLET_RE.match(ln)
        if md_level:
            items.append(([ln], False, md_level))
            continue
        if bullet:
            stats["bullets"] += 1
            items.append(([ln[bullet.end():]], True, 0))
            continue
        prev = items[-1][0] if items else None
        starts_para = (
            prev is not None and len(lines) >= 3 and width >= 60 and items[-1][2] == 0
            and re.search(r"[.!?][\"'”’)]?$", prev[-1]) and len(prev[-1]) < 0.75 * width
            and re.match(r"[A-Z“\"‘'(]", ln)
        )
        if prev is None or starts_para or items[-1][2]:
            if starts_para:
                stats["wrapped_paragraphs_split"] += 1
            items.append(([ln], False, 0))
        else:
            prev.append(ln)
    return items


# No PDF wraps lines this long: a block holding one is web text saved one paragraph per line.
LINE_PER_PARAGRAPH = 160


def _line_per_paragraph(lines: list[str]):
    items: list[tuple[list[str], bool, int]] = []
    for ln in lines:
        ln, md_level = _strip_markdown(ln)
        bullet = BULLET_RE.match(ln)
        prev = items[-1][0] if items else None
        if prev and not md_level and not bullet and re.match(r"[a-z]", ln) and not re.search(r"[.!?:;]$", prev[-1]):
            prev.append(ln)  # a wrapped continuation, even here
        elif bullet:
            items.append(([ln[bullet.end():]], True, 0))
        else:
            items.append(([ln], False, md_level))
    return items


def _join_lines(lines: list[str], stats: Counter) -> str:
    text = lines[0]
    for ln in lines[1:]:
        if re.search(r"[A-Za-z]-$", text) and re.match(r"[a-z]", ln):
            stats["hyphenation_joined"] += 1
            text += ln  # "full-\ntime" -> "full-time": the hyphen is the author's, the break is not
        else:
            stats["lines_joined"] += 1
            text += " " + ln
    return re.sub(r" {2,}", " ", text).strip()


def _make_block(lines: list[str], is_bullet: bool, md_level: int, page: int, stats: Counter) -> Block:
    text = _join_lines(lines, stats)
    words = len(text.split())
    infographic = len(lines) >= 3 and words / len(lines) < 4
    if infographic:
        stats["infographic_reflowed"] += 1
    raw = "\n".join(lines)
    if md_level:
        return Block(text, "heading", page, level=1 if md_level <= 2 else 2, lines=len(lines), raw=raw)
    if is_bullet:
        if text.endswith("?") and words <= 25:
            return Block(text, "heading", page, level=1, lines=len(lines), raw=raw)
        return Block(text, "bullet", page, lines=len(lines), raw=raw)
    if not infographic and _looks_like_heading(text, len(lines)):
        level = 1 if (text.endswith("?") or TOP_LEVEL_RE.match(text)) else 2
        return Block(text, "heading", page, level=level, lines=len(lines), raw=raw)
    return Block(text, "para", page, lines=len(lines), infographic=infographic, raw=raw)


def _looks_like_heading(text: str, n_lines: int) -> bool:
    words = text.split()
    if not words or n_lines > 4 or not re.match(r"[A-Z0-9‘“\"]", text):
        return False
    if (text.lower() in GRADES or VALUE_RE.match(text) or PAGE_NUMBER_RE.match(text)
            or DATE_LINE_RE.match(text) or SIGNATURE_RE.match(text)):
        return False
    if text.endswith("?"):
        return 4 <= len(words) <= 30
    if re.search(r"[.,;:%£]$", text) or "%" in text:
        return False
    return len(words) <= 10


def _drop_chrome(page_blocks: list[list[Block]], stats: Counter) -> list[str]:
    """Web furniture (ingest/furniture.py) and contents lists, wherever a page carries them.
    Returns the furniture dropped (a release's link to its report says a page is a news release)."""
    flat = [b for blocks in page_blocks for b in blocks]
    dropped: list[str] = []
    i = 0
    while i < len(flat):
        b = flat[i]
        row = furniture.match(b.raw or b.text)
        if row is None:
            i += 1
            continue
        b.kind = "drop"
        dropped.append(normalise(b.text))
        stats["web_furniture"] += 1
        nxt = flat[i + 1] if i + 1 < len(flat) else None
        if nxt is not None and row.then_regex is not None and row.then_regex.fullmatch(normalise(nxt.text)):
            nxt.kind = "drop"
            stats["web_furniture"] += 1
        if furniture.CONTENTS_HEADING.fullmatch(normalise(b.text)):
            j = i + 1
            while j < len(flat) and (furniture.is_contents_entry(flat[j].raw or flat[j].text)
                                     or furniture.is_furniture(flat[j].text)):
                flat[j].kind = "drop"
                stats["contents_entries"] += 1
                j += 1
        i += 1
    for blocks in page_blocks:
        blocks[:] = [b for b in blocks if b.kind != "drop"]
    return dropped


def _pair_tables(blocks: list[Block], stats: Counter) -> None:
    """Labels listed first and values after them (PDF tables) become `label: value` rows."""
    i, last_end = 0, 0
    while i < len(blocks):
        if not (blocks[i].kind == "para" and VALUE_RE.match(blocks[i].text)):
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind == "para" and VALUE_RE.match(blocks[j].text):
            j += 1
        values = blocks[i:j]
        labels = [b for b in blocks[last_end:i]
                  if len(b.text.split()) >= 3 and not re.search(r"[.;]$", b.text)
                  and not TOP_LEVEL_RE.match(b.text)
                  and b.kind in ("para", "heading") and not b.text.endswith("?")]
        if len(values) >= 2 and len(labels) == len(values):
            for label, value in zip(labels, values, strict=True):
                label.text, label.kind = f"{label.text}: {value.text}", "row"
            stats["table_rows_paired"] += len(values)
            for v in values:
                v.kind = "drop"
        last_end = j
        i = j
    blocks[:] = [b for b in blocks if b.kind != "drop"]


def _drop_page_numbers(blocks: list[Block], stats: Counter) -> None:
    """A lone number that is not part of a table is the printed page number."""
    def is_num(k: int) -> bool:
        return 0 <= k < len(blocks) and blocks[k].kind == "para" and bool(VALUE_RE.match(blocks[k].text))
    keep = []
    for k, b in enumerate(blocks):
        if b.kind == "para" and PAGE_NUMBER_RE.match(b.text) and not is_num(k - 1) and not is_num(k + 1):
            stats["page_numbers"] += 1
            continue
        keep.append(b)
    blocks[:] = keep


def _edges(blocks: list[Block]) -> list[Block]:
    if not blocks:
        return []
    return list({id(b): b for b in (blocks[:1] + blocks[-2:])}.values())


def _running_headers(page_blocks: list[list[Block]], stats: Counter) -> None:
    """Text repeated at the edges of several pages is a running header or footer.

    It is the inspection question of the pages it sits on, so it is kept once, as a heading at the
    top of the first page of each run of pages that carry it.
    """
    seen: Counter = Counter()
    for blocks in page_blocks:
        for key in {normalise(b.text) for b in _edges(blocks)
                    if b.kind in ("heading", "para") and not b.infographic}:
            seen[key] += 1
    running = {k for k, n in seen.items() if n >= 2 and 3 <= len(k.split()) <= 40}
    inserted: set[str] = set()
    for page_no, blocks in enumerate(page_blocks):
        found = [b for b in _edges(blocks) if normalise(b.text) in running and not b.infographic]
        if not found:
            continue
        header = found[0]
        blocks[:] = [b for b in blocks if b not in found]
        stats["running_headers"] += len(found)
        key = normalise(header.text)
        if key not in inserted:
            inserted.add(key)
            level = 1 if (key.endswith("?") or TOP_LEVEL_RE.match(key)) else 2
            blocks.insert(0, Block(key, "heading", page_no, level=level))
    last = page_blocks[-1] if page_blocks else []
    if len(last) > 1 and last[-1].kind == "heading":
        # A heading printed at the top of the last page often comes out of the PDF last.
        last.insert(0, last.pop())
        stats["headings_moved_to_page_top"] += 1


def _dedupe(blocks: list[Block], stats: Counter) -> list[Block]:
    seen: set[str] = set()
    out = []
    for b in blocks:
        key = normalise(b.text)
        if b.kind != "heading" and len(key.split()) >= 8:
            if key in seen:
                stats["duplicate_paragraphs"] += 1
                continue
            seen.add(key)
        out.append(b)
    return out


def _assemble(blocks: list[Block], n_pages: int, stats: Counter) -> Cleaned:
    parts: list[str] = []
    spans: list[SpanBlock] = []
    sections: list[Section] = []
    stack: list[Section] = []
    page_starts: dict[int, int] = {}
    pos = 0
    prev_kind = None
    for b in blocks:
        sep = "" if not parts else ("\n" if b.kind == "row" and prev_kind == "row" else "\n\n")
        pos += len(sep)
        parts.append(sep)
        text = ("- " + b.text) if b.kind == "bullet" else b.text
        start, end = pos, pos + len(text)
        page_starts.setdefault(b.page, start)
        if b.kind == "heading":
            while stack and stack[-1].level >= b.level:
                stack.pop().end = start
            path = " › ".join([s.title for s in stack] + [b.text])
            sec = Section(b.text, b.level, start, -1, path)
            sections.append(sec)
            stack.append(sec)
        spans.append(SpanBlock(start, end, b.kind, stack[-1].path if stack else "", b.page))
        parts.append(text)
        pos = end
        prev_kind = b.kind
    text = "".join(parts)
    for sec in stack:
        sec.end = len(text)
    pages: list[int] = []
    if n_pages:
        nxt = len(text)
        for p in reversed(range(n_pages)):
            nxt = page_starts.get(p, nxt)
            pages.append(nxt)
        pages.reverse()
    return Cleaned(text, pages, sections, spans, stats)
