"""A conversation with its citations as Markdown or Word, for an inspector's fieldwork pack."""
from __future__ import annotations

import io
from datetime import datetime

from .inert import inert, word_text
from .records import Answer


def _source_line(c) -> str:
    page = f", p. {c.page}" if c.page else ""
    return f"{c.title} · {c.force or 'no force'} · {c.year or 'year unknown'}{page} · § {c.section}"


def conversation_markdown(turns: list[tuple[str, Answer]], title: str = "hmiqa conversation") -> str:
    out = [f"# {title}", "", f"Exported {datetime.now():%Y-%m-%d %H:%M}. Every quote is verbatim from the "
           "cited report; numbers in brackets refer to the sources under each answer.", ""]
    for i, (question, answer) in enumerate(turns, start=1):
        out += [f"## {i}. {question}", "", answer.answer.strip(), ""]  # the answer opens with its filters
        for heading, cited in (("**Sources**", answer.citations),
                               ("**Closest passages** (not an answer)", answer.closest)):
            if cited:
                out += [heading, ""]
                for c in cited:
                    out.append(f"{c.n}. {_source_line(c)}  \n   > {inert(c.quote)}")
                out.append("")
    return "\n".join(out)


def conversation_docx(turns: list[tuple[str, Answer]], title: str = "hmiqa conversation") -> bytes:
    import docx

    doc = docx.Document()
    doc.add_heading(word_text(title), level=0)
    doc.add_paragraph(f"Exported {datetime.now():%Y-%m-%d %H:%M}. Every quote is verbatim from the cited "
                      "report; numbers in brackets refer to the sources under each answer.")
    for i, (question, answer) in enumerate(turns, start=1):
        doc.add_heading(word_text(f"{i}. {question}"), level=1)
        for block in answer.answer.strip().split("\n"):
            block = block.strip()
            if not block:
                continue
            if block.startswith("### "):
                doc.add_heading(word_text(block[4:]), level=2)
            elif block.startswith("- "):
                doc.add_paragraph(word_text(block[2:].replace("**", "")), style="List Bullet")
            else:
                doc.add_paragraph(word_text(block.replace("**", "").strip("*")))
        for heading, cited in (("Sources", answer.citations), ("Closest passages (not an answer)", answer.closest)):
            if cited:
                doc.add_heading(heading, level=2)
                for c in cited:
                    p = doc.add_paragraph(style="List Number")
                    p.add_run(word_text(f"[{c.n}] {_source_line(c)}")).bold = True
                    doc.add_paragraph(word_text(c.quote), style="Quote")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
