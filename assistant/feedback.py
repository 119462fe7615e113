"""Thumbs up/down on answers, kept in SQLite under the index directory, exportable as eval data.

A thumbs-up answer becomes a dataset line whose relevant quotes are the ones it cited.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, rating INTEGER NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, filters TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '');
"""


@dataclass
class Feedback:
    id: int
    at: float
    rating: int  # 1 up, 0 down
    question: str
    answer: str
    citations: list[dict]
    filters: dict
    comment: str = ""


class FeedbackStore:
    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / "feedback.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.db.executescript(SCHEMA)

    def record(self, answer, rating: int, comment: str = "") -> int:
        """Store a rating (1 up, 0 down) of an `Answer` with its question and citations."""
        if rating not in (0, 1):
            raise ValueError("rating is 1 (thumbs up) or 0 (thumbs down)")
        d = answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)
        with self.db:
            cur = self.db.execute(
                "INSERT INTO feedback (at, rating, question, answer, citations, filters, comment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), rating, d["question"], d["answer"], json.dumps(d.get("citations", [])),
                 json.dumps(d.get("filters", {})), comment))
        return int(cur.lastrowid)

    def all(self) -> list[Feedback]:
        rows = self.db.execute("SELECT id, at, rating, question, answer, citations, filters, comment "
                               "FROM feedback ORDER BY id")
        return [Feedback(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6]), r[7]) for r in rows]

    def export_jsonl(self, file_of) -> str:
        """Thumbs-up answers as evaluation lines (eval/README.md format), their citations as the
        relevant quotes; `file_of(doc_id)` names each cited file. Thumbs-down answers are not evidence
        of anything and stay in `all()` for review."""
        lines = []
        for f in self.all():
            if not f.rating or not f.citations:
                continue
            item = {"id": f"feedback-{f.id}", "question": f.question,
                    "relevant": [{"file": file_of(c["doc_id"]), "quote": c["quote"]} for c in f.citations],
                    "force": f.filters.get("forces") or None, "year_from": f.filters.get("year_from"),
                    "year_to": f.filters.get("year_to"), "kind": "fact"}
            lines.append(json.dumps(item, ensure_ascii=False))
        return "\n".join(lines) + ("\n" if lines else "")

    def close(self) -> None:
        self.db.close()
