"""Evaluation datasets: one JSON object per line, each relevant quote checked against its file.

A quote must be an exact substring of its source file once whitespace runs are collapsed to one
space; the validator names the line and the reason when one is not, so a dataset cannot silently
score against evidence that does not exist.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

# A question's kind is the dataset author's own label and only groups the report; two carry meaning:
# `unanswerable` (no relevant quotes; the answer should refuse) and `followup` (asked after `history`).
QUESTION_KINDS = ("fact", "paraphrase", "numbers", "temporal", "comparison", "recommendation", "followup",
         "unanswerable")  # the kinds the seed set uses, for reference
REQUIRED = ("id", "question", "relevant", "kind")


class DatasetError(ValueError):
    """A dataset line that cannot be used; the message names the file, line and reason."""


@dataclass
class Evidence:
    file: str
    quote: str


@dataclass
class Item:
    id: str
    question: str
    relevant: list[Evidence]
    kind: str
    forces: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    history: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def answerable(self) -> bool:
        return bool(self.relevant)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def json_lines(path: Path, what: str):
    """(where, line number, value) for each non-blank line of a JSONL file; a line that is not JSON
    is a DatasetError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such {what} file")
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        try:
            yield where, n, json.loads(raw)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None


def _source_text(path: Path) -> str:
    """The text a quote is checked against: the file itself, or what the loader extracts from it."""
    if path.suffix.lower() in (".txt", ".md", ".markdown", ".html", ".htm"):
        return path.read_text(encoding="utf-8", errors="replace")
    from ingest.loaders import load
    return load(path).text


def parse_line(raw: str, where: str) -> Item:
    try:
        d = json.loads(raw)
    except json.JSONDecodeError as e:
        raise DatasetError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(d, dict):
        raise DatasetError(f"{where}: expected a JSON object")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise DatasetError(f"{where}: missing field(s) {', '.join(missing)}")
    if not isinstance(d["question"], str) or not d["question"].strip():
        raise DatasetError(f"{where}: 'question' must be a non-empty string")
    if not isinstance(d["kind"], str) or not re.fullmatch(r"[\w+ /-]{1,40}", d["kind"]):
        raise DatasetError(f"{where}: 'kind' must be a short label such as fact, numbers or unanswerable "
                           f"(letters, digits, spaces, - or /), not {d['kind']!r}")
    if not isinstance(d["relevant"], list):
        raise DatasetError(f"{where}: 'relevant' must be a list of {{file, quote}}")
    evidence = []
    for j, r in enumerate(d["relevant"]):
        if not isinstance(r, dict) or not isinstance(r.get("file"), str) or not isinstance(r.get("quote"), str) \
                or not r["quote"].strip():
            raise DatasetError(f"{where}: relevant[{j}] must be {{\"file\": …, \"quote\": non-empty text}}")
        evidence.append(Evidence(r["file"], r["quote"]))
    if d["kind"] == "unanswerable" and evidence:
        raise DatasetError(f"{where}: an 'unanswerable' question must have an empty 'relevant' list")
    if d["kind"] != "unanswerable" and not evidence:
        raise DatasetError(f"{where}: only 'unanswerable' questions may have no relevant quotes")
    force = d.get("force")
    forces = [force] if isinstance(force, str) else list(force or [])
    for key in ("year_from", "year_to"):
        if d.get(key) is not None and not isinstance(d[key], int):
            raise DatasetError(f"{where}: '{key}' must be a year (integer) or null")
    history = d.get("history") or []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise DatasetError(f"{where}: 'history' must be a list of earlier questions")
    return Item(id=str(d["id"]), question=d["question"], relevant=evidence, kind=d["kind"], forces=forces,
                year_from=d.get("year_from"), year_to=d.get("year_to"), history=history)


def load(path: Path, corpus: Path) -> list[Item]:
    """Parse and validate every line; quotes are checked against the files in `corpus`."""
    path, corpus = Path(path), Path(corpus)
    if not path.is_file():
        raise DatasetError(f"{path}: no such dataset file")
    items, seen, texts = [], set(), {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        item = parse_line(raw, where)
        item.line = n
        if item.id in seen:
            raise DatasetError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        for r in item.relevant:
            if r.file not in texts:
                source = corpus / r.file
                if not source.is_file():
                    raise DatasetError(f"{where}: file {r.file!r} is not in the corpus {corpus}")
                texts[r.file] = collapse(_source_text(source))
            if collapse(r.quote) not in texts[r.file]:
                raise DatasetError(f"{where}: quote not found in {r.file} (whitespace collapsed): "
                                   f"{r.quote[:80]!r}")
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: the dataset has no questions")
    return items
