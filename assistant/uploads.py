"""Reports that arrive as bytes (the app's uploader, the API): checked, saved under the index's
uploads/ folder and ingested. A file that fails leaves the index, and any earlier upload of the same
name, as they were."""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ingest.loaders import SUPPORTED, described_file_types
from ingest.pipeline import IngestReport
from ingest.records import Document

Ingest = Callable[[list[Path]], IngestReport]  # ingests files, returns when they are searchable
Indexed = Callable[[str], Document | None]  # the indexed document of a source path, or None


class UploadRejected(ValueError):
    """The upload was refused before ingest (type, size, empty); the message says why and what to do."""

    def __init__(self, message: str, limit: str):
        super().__init__(message)
        self.limit = limit  # which limit: type, size or empty


@dataclass
class UploadResult:
    """What became of one uploaded report."""
    path: Path  # where it was saved (under the index's uploads/ folder)
    report: IngestReport
    status: str  # added | replaced | unchanged | duplicate | failed
    document: Document | None = None  # as indexed (added, replaced, unchanged)
    duplicate_of: str | None = None  # the indexed file with the same text
    reason: str | None = None  # why it failed; nothing in the index changed

    @staticmethod
    def of(path: Path, report: IngestReport, indexed: Indexed) -> "UploadResult":
        source = str(path.resolve())
        if report.failed:
            return UploadResult(path, report, "failed", reason=report.failed[0].reason)
        if source in report.duplicates:
            return UploadResult(path, report, "duplicate", duplicate_of=report.duplicates[source])
        status = "replaced" if report.replaced else "added" if report.added else "unchanged"
        return UploadResult(path, report, status, document=indexed(source))


def check_upload(name: str, size: int, max_mb: int) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise UploadRejected(f"{name}: '{suffix or 'no extension'}' files are not supported. Upload "
                             f"{described_file_types()} reports.", "type")
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(f"{name} is {size / 1e6:.1f} MB; the limit is {max_mb} MB. Split the report or ask "
                             "an administrator to raise HMIQA_MAX_UPLOAD_MB.", "size")
    if size == 0:
        raise UploadRejected(f"{name} is empty.", "empty")


# bytes of a saved name: the file system allows 255, and its sidecar adds ".meta.json"
NAME_BYTES = 200


def safe_name(name: str) -> str:
    """A file name with no folders and nothing a path could be built from, short enough for its sidecar."""
    name = Path(name.replace("\\", "/")).name
    cleaned = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name).strip().lstrip(".")
    cleaned = cleaned or "report"
    suffix = Path(cleaned).suffix if len(Path(cleaned).suffix) <= 10 else ""
    stem = cleaned[:len(cleaned) - len(suffix)] if suffix else cleaned
    while len((stem + suffix).encode("utf-8")) > NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip() or "report") + suffix


def add_upload(name: str, data: bytes, uploads: Path, max_mb: int, ingest: Ingest, indexed: Indexed) -> UploadResult:
    """Check, save under `uploads` and `ingest` one uploaded report; `indexed` finds the document a
    source file became. Raises UploadRejected before touching anything."""
    check_upload(name, len(data), max_mb)
    uploads.mkdir(parents=True, exist_ok=True)
    target = uploads / safe_name(name)
    if target.suffix.lower() != Path(name).suffix.lower():
        target = target.with_suffix(Path(name).suffix.lower())
    backup = None
    if target.exists():  # a new version of an earlier upload: keep the old file until this one works
        fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".old-")
        os.close(fd)
        backup = Path(tmp)
        shutil.copy2(target, backup)
    kept = False
    try:
        target.write_bytes(data)
        report = ingest([target])
        kept = not report.failed
    finally:  # a failure, or anything raised on the way, puts back what was there (or nothing)
        if kept:
            if backup:
                backup.unlink(missing_ok=True)
        elif backup:
            os.replace(backup, target)
        else:
            target.unlink(missing_ok=True)
    return UploadResult.of(target, report, indexed)
