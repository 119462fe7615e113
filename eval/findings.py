"""Scoring the findings extraction against a hand-labelled list.

One JSON object per line: `{"id", "file", "kind", "year", "quote"}` for a recommendation, area for
improvement or cause of concern (the quote an exact substring of the file once whitespace is
collapsed), or `{"id", "file", "kind": "judgment", "year", "question", "grade"}` for a graded
judgment (`question` null for the judgment of the whole area). An extracted finding matches a label
of the same file and kind when their words overlap by 80% or more (judgments: same year, grade and
question); each label matches at most one finding. Only the kinds labelled are scored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingest.findings import GRADES, FINDING_KINDS, Finding

from .dataset import DatasetError, _source_text, collapse, json_lines


@dataclass
class Label:
    id: str
    file: str
    kind: str
    year: int | None
    quote: str | None = None
    question: str | None = None
    grade: str | None = None
    line: int = 0


def load_labels(path: Path, corpus: Path) -> list[Label]:
    path, corpus = Path(path), Path(corpus)
    labels, seen, texts = [], set(), {}
    for where, n, d in json_lines(path, "findings"):
        if not isinstance(d, dict) or not all(k in d for k in ("id", "file", "kind")):
            raise DatasetError(f"{where}: expected an object with id, file and kind")
        if d["kind"] not in FINDING_KINDS or d["kind"] == "response":
            raise DatasetError(f"{where}: unknown kind {d['kind']!r}; use one of: "
                               f"{', '.join(k for k in FINDING_KINDS if k != 'response')}")
        if d["id"] in seen:
            raise DatasetError(f"{where}: duplicate id {d['id']!r}")
        seen.add(d["id"])
        source = corpus / str(d["file"])
        if not source.is_file():
            raise DatasetError(f"{where}: file {d['file']!r} is not in the corpus {corpus}")
        label = Label(id=str(d["id"]), file=str(d["file"]), kind=d["kind"], year=d.get("year"), line=n)
        if d["kind"] == "judgment":
            if d.get("grade") not in GRADES:
                raise DatasetError(f"{where}: a judgment needs a grade, one of: {', '.join(GRADES)}")
            label.question, label.grade = d.get("question"), d["grade"]
        else:
            quote = d.get("quote")
            if not isinstance(quote, str) or not quote.strip():
                raise DatasetError(f"{where}: 'quote' must be the finding's text")
            texts.setdefault(label.file, collapse(_source_text(source)))
            if collapse(quote) not in texts[label.file]:
                raise DatasetError(f"{where}: quote not found in {label.file} (whitespace collapsed): {quote[:80]!r}")
            label.quote = quote
        labels.append(label)
    if not labels:
        raise DatasetError(f"{path}: no labelled findings")
    return labels


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def matches(label: Label, f: Finding) -> bool:
    if label.kind != f.kind:
        return False
    if label.kind == "judgment":  # the question compared by its words; None (the whole area) only matches None
        return label.grade == f.grade and label.year == f.year and \
            _words(label.question or "") == _words(f.question or "")
    a, b = _words(label.quote or ""), _words(f.text)
    return bool(a and b) and len(a & b) / len(a | b) >= 0.8


def score(labels: list[Label], found: list[tuple[str, Finding]]) -> tuple[dict, dict, list[dict]]:
    """(summary, by kind, misses) for `found`, a list of (file, finding) over the labelled files."""
    kinds = sorted({lab.kind for lab in labels})
    files = {lab.file for lab in labels}
    found = [(file, f) for file, f in found if f.kind in kinds and file in files]
    used: set[int] = set()
    hit: dict[str, int] = {}
    year_ok = 0
    for lab in labels:
        for j, (file, f) in enumerate(found):
            if j not in used and file == lab.file and matches(lab, f):
                used.add(j)
                hit[lab.id] = j
                year_ok += f.year == lab.year
                break
    by_kind = {}
    for k in kinds:
        labelled = [lab for lab in labels if lab.kind == k]
        extracted = [j for j, (_, f) in enumerate(found) if f.kind == k]
        tp = sum(1 for lab in labelled if lab.id in hit)
        by_kind[k] = {"n": len(labelled), "extracted": len(extracted),
                      "precision": tp / len(extracted) if extracted else None,
                      "recall": tp / len(labelled) if labelled else None}
    summary = {"precision": len(used) / len(found) if found else None,
               "recall": len(hit) / len(labels), "year_accuracy": year_ok / len(hit) if hit else None}
    for k in FINDING_KINDS[:2]:  # recommendations and areas for improvement
        if k in by_kind:
            summary[f"{k}_precision"] = by_kind[k]["precision"]
            summary[f"{k}_recall"] = by_kind[k]["recall"]
    misses = [{"id": lab.id, "kind": lab.kind, "question": f"missed in {lab.file}",
               "got": (lab.quote or f"{lab.grade}: {lab.question or 'overall'}")[:140]}
              for lab in labels if lab.id not in hit]
    misses += [{"id": f.finding_id, "kind": f.kind, "question": f"extracted but not labelled in {file}",
                "got": " ".join(f.text.split())[:140]} for j, (file, f) in enumerate(found) if j not in used]
    return summary, by_kind, misses
