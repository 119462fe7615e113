"""Scoring inferred metadata against labelled documents (`hmiqa eval --metadata LABELS.jsonl`).

One JSON object per line, as `../shared/realdev/docs.jsonl` writes them:
`{"file", "title", "forces", "published", "period", "programme", "kind"}` (`evidence` and `url` are
read and ignored). `published` is `YYYY-MM-DD`, `YYYY-MM`, `YYYY` or null; `forces` is `[]` for a
national or thematic publication.

Each field of each document is right, wrong or unknown (we gave no value):
- forces: the set equals the label's (a national document must have none);
- year: the label's publication year; where the label has no date, any year of its period
  ("PEEL 2021/22" accepts 2021 and 2022); where it has neither, the document is not scored for year;
- published: agrees with the label to the coarser of the two precisions ("2017-11" and
  "2017-11-09" agree); a date where the label has none is wrong (the text does not support one);
- period: the same years ("PEEL 2018/19" and "2018/19" agree);
- programme, kind: equal;
- title: never web furniture (a title the furniture table matches is counted, with the title).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .dataset import DatasetError, json_lines

FIELDS = ("forces", "year", "published", "period", "programme", "kind")


@dataclass
class DocLabel:
    file: str
    forces: list[str]
    published: str | None
    period: str | None
    programme: str | None
    kind: str | None
    title: str | None = None
    line: int = 0


@dataclass
class FieldScore:
    right: int = 0
    wrong: int = 0
    unknown: int = 0
    unscored: int = 0
    misses: list[dict] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return self.right + self.wrong + self.unknown

    def summary(self) -> dict:
        n = max(1, self.scored)
        return {"right": self.right / n, "wrong": self.wrong / n, "unknown": self.unknown / n,
                "scored": self.scored}


def load_labels(path: Path, corpus: Path) -> list[DocLabel]:
    from ingest import forces as force_table
    path, corpus = Path(path), Path(corpus)
    labels, seen = [], set()
    for where, n, d in json_lines(path, "metadata labels"):
        if not isinstance(d, dict) or not isinstance(d.get("file"), str):
            raise DatasetError(f"{where}: expected an object with at least 'file'")
        if d["file"] in seen:
            raise DatasetError(f"{where}: file {d['file']!r} is labelled twice")
        seen.add(d["file"])
        if not (corpus / d["file"]).is_file():
            raise DatasetError(f"{where}: file {d['file']!r} is not in the corpus {corpus}")
        try:
            forces = sorted(force_table.resolve(f) for f in d.get("forces") or [])
        except force_table.UnknownForce as e:
            raise DatasetError(f"{where}: {e}") from None
        published = d.get("published")
        if published is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", str(published)):
            raise DatasetError(f"{where}: 'published' must be YYYY, YYYY-MM or YYYY-MM-DD, not {published!r}")
        labels.append(DocLabel(file=d["file"], forces=forces, published=published, period=d.get("period"),
                               programme=d.get("programme"), kind=d.get("kind"), title=d.get("title"), line=n))
    if not labels:
        raise DatasetError(f"{path}: no labelled documents")
    return labels


def period_years(period: str | None) -> set[int]:
    """Every year a period names: "PEEL 2018/19" -> {2018, 2019}; "2023–25" -> {2023, 2024, 2025}."""
    if not period:
        return set()
    years: set[int] = set()
    for m in re.finditer(r"\b((?:19|20)\d{2})(?:\s*[/–-]\s*((?:19|20)?\d{2})\b)?", str(period)):
        first = int(m.group(1))
        years.add(first)
        if m.group(2):
            last = int(m.group(2)) if len(m.group(2)) == 4 else first // 100 * 100 + int(m.group(2))
            if first < last <= first + 5:
                years.update(range(first + 1, last + 1))
    return years


def _dates_agree(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def score(labels: list[DocLabel], docs: dict[str, object]) -> tuple[dict, dict, list[dict]]:
    """`docs` maps a corpus-relative file name to its Document. Returns (summary, per field, misses)."""
    from ingest.furniture import is_furniture
    scores = {f: FieldScore() for f in FIELDS}
    furniture: list[dict] = []
    missing: list[str] = []
    for lab in labels:
        doc = docs.get(lab.file)
        if doc is None:
            missing.append(lab.file)
            continue

        def mark(name: str, verdict: str, got, want, lab=lab, doc=doc) -> None:
            s = scores[name]
            setattr(s, verdict, getattr(s, verdict) + 1)
            if verdict != "right":
                s.misses.append({"file": lab.file, "field": name, "verdict": verdict, "got": got, "want": want,
                                 "method": (doc.metadata_confidence.get(name) or {}).get("method")})

        got_forces = sorted(doc.forces)
        mark("forces", "right" if got_forces == lab.forces else "wrong", got_forces, lab.forces)

        want_years = {int(lab.published[:4])} if lab.published else period_years(lab.period)
        if not want_years:
            scores["year"].unscored += 1
        elif doc.year is None:
            mark("year", "unknown", None, sorted(want_years))
        else:
            mark("year", "right" if doc.year in want_years else "wrong", doc.year, sorted(want_years))

        if doc.published is None:
            mark("published", "right" if lab.published is None else "unknown", None, lab.published)
        else:
            ok = lab.published is not None and _dates_agree(str(doc.published), lab.published)
            mark("published", "right" if ok else "wrong", doc.published, lab.published)

        if doc.period is None:
            mark("period", "right" if lab.period is None else "unknown", None, lab.period)
        else:
            ok = lab.period is not None and period_years(doc.period) == period_years(lab.period)
            mark("period", "right" if ok else "wrong", doc.period, lab.period)

        for name in ("programme", "kind"):
            got, want = getattr(doc, name, None), getattr(lab, name)
            if want is None:
                scores[name].unscored += 1
            elif got is None:
                mark(name, "unknown", None, want)
            else:
                mark(name, "right" if got == want else "wrong", got, want)

        if is_furniture(doc.title or ""):
            furniture.append({"file": lab.file, "title": doc.title})
    per_field = {name: s.summary() for name, s in scores.items()}
    summary = {f"{name}_right": s.summary()["right"] for name, s in scores.items()}
    summary["year_unknown"] = scores["year"].summary()["unknown"]
    summary["furniture_titles"] = len(furniture)
    summary["documents"] = len(labels) - len(missing)
    misses = [m for s in scores.values() for m in s.misses]
    misses += [{"file": f["file"], "field": "title", "verdict": "furniture", "got": f["title"], "want": None,
                "method": None} for f in furniture]
    misses += [{"file": f, "field": "document", "verdict": "not indexed", "got": None, "want": None,
                "method": None} for f in missing]
    return summary, per_field, misses
