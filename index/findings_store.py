"""The findings of every indexed report, in `findings.sqlite` beside the index.

Findings are derived from a document's cleaned text, so the store follows the catalog: `sync`
extracts them for documents it has not seen (or saw with an older extractor) and drops those of
documents that left. Ingest calls it; so does every reader, which also covers a document another
process added to a shared Chroma server.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from ingest.findings import EXTRACTOR_VERSION, Finding, extract

SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS findings_doc ON findings(doc_id);
CREATE TABLE IF NOT EXISTS extracted (doc_id TEXT PRIMARY KEY, version TEXT NOT NULL);
"""


class FindingsStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self.db.close()

    def sync(self, catalog) -> bool:
        """Bring the store in step with the catalog's ready documents; True when anything changed."""
        with self._lock:
            wanted = set(catalog.sources().values())
            have = dict(self.db.execute("SELECT doc_id, version FROM extracted"))
            changed = False
            for doc_id in set(have) - wanted:
                self._drop(doc_id)
                changed = True
            for doc_id in sorted(wanted):
                if have.get(doc_id) == EXTRACTOR_VERSION:
                    continue
                doc = catalog.document(doc_id)
                if doc is None:  # still pending in another process's ingest
                    continue
                self.put(doc_id, extract(doc))
                changed = True
            return changed

    def put(self, doc_id: str, findings: list[Finding]) -> None:
        with self.db:
            self.db.execute("DELETE FROM findings WHERE doc_id=?", (doc_id,))
            self.db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?)",
                                [(f.finding_id, f.doc_id, f.kind, json.dumps(f.to_dict())) for f in findings])
            self.db.execute("INSERT OR REPLACE INTO extracted VALUES (?, ?)", (doc_id, EXTRACTOR_VERSION))

    def _drop(self, doc_id: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM findings WHERE doc_id=?", (doc_id,))
            self.db.execute("DELETE FROM extracted WHERE doc_id=?", (doc_id,))

    def all(self, kinds: tuple[str, ...] | None = None) -> list[Finding]:
        sql, args = "SELECT data FROM findings", ()
        if kinds:
            sql += f" WHERE kind IN ({','.join('?' * len(kinds))})"
            args = tuple(kinds)
        rows = self.db.execute(sql + " ORDER BY doc_id, json_extract(data, '$.start')", args)
        return [Finding.from_dict(json.loads(r[0])) for r in rows]
