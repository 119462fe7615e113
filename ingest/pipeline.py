"""The idempotent ingest: files in, documents and chunks in the index, one bad file never fatal."""
from __future__ import annotations

import errno
import hashlib
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import loaders, metadata
from .budget import Budget, Deadline
from .manifest import read as read_sidecar, sidecar, sidecar_bytes
from .chunk import chunk_document
from .clean import clean
from .errors import IngestError
from .records import Document

if TYPE_CHECKING:
    from index.catalogs import Version

PIPELINE_VERSION = "2"  # bump when cleaning or chunking changes, so re-ingest re-processes files


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    metadata_repaired: dict[str, list[str]] = field(default_factory=dict)  # source -> fields stored as unknown
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # source skipped -> the indexed source with its text
    chunks_added: int = 0
    upgraded: int = 0  # documents indexed before sentence or chunk vectors were stored, now given them
    # where the time went: read (hash, load, clean, metadata), model (loading it), chunk, embed, write
    # (catalog, vectors), settle (BM25, findings), upkeep (repair, upgrades), sentences (the quotable
    # sentences' vectors, embedded once the documents are searchable)
    seconds: dict[str, float] = field(default_factory=dict)
    # seconds from the start until readers could search and answer from every document written
    searchable_after: float | None = None
    # the sentence vectors were left to the caller (the Assistant stores them in the background)
    sentences_later: bool = False

    @contextmanager
    def timed(self, stage: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - t, 3)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.pruned or self.repaired or self.metadata_repaired)

    def to_dict(self) -> dict:
        return asdict(self)


def shown(path: Path) -> str:
    """A path as text any output can carry: bytes of a name that are not UTF-8 shown as U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def _unreadable(path: Path) -> str | None:
    """Why a path that is not a readable file cannot be ingested, or None when it is one."""
    if path.is_file():
        if shown(path) != str(path):
            return "its name is not valid UTF-8 (written in another encoding); rename it"
        return None
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except (RuntimeError, OSError) as e:
            if isinstance(e, RuntimeError) or getattr(e, "errno", None) == errno.ELOOP:
                return "a symbolic link that loops back on itself; remove or repoint it"
        return f"a link to {shown(Path(os.readlink(path)))}, which does not exist"
    return "no such file or folder"


def discover(paths: list[Path], report: IngestReport) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            if p.suffix.lower() in loaders.SUPPORTED:
                report.warnings.append(f"{shown(p)}: a folder, not a {p.suffix} file; the files inside it were read")
            for f in sorted(p.rglob("*")):
                if any(part.startswith(".") for part in f.relative_to(p).parts) or f.name.endswith(".meta.json"):
                    continue
                if f.is_dir():
                    continue
                if (why := _unreadable(f)) is None:
                    files.append(f)
                else:
                    report.failed.append(Failure(shown(f), why))
        elif (why := _unreadable(p)) is None:
            files.append(p)
        else:
            report.failed.append(Failure(shown(p), why))
    return files


def file_hash(path: Path) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    h.update(path.read_bytes())
    if (side := sidecar_bytes(path)) is not None:
        h.update(side)
    return h.hexdigest()


def build_document(path: Path, fhash: str, deadline: Deadline | None = None):
    """Load, clean and describe one file, within `deadline` when given. Raises IngestError with a reason
    a user can act on."""
    raw = loaders.load(path, deadline)
    cleaned = clean(raw.text, paged=raw.paged, markdown=raw.format in ("markdown", "text"))
    if deadline is not None:
        deadline.check("cleaning the text")
    if not cleaned.text.strip():
        raise IngestError(str(path), "nothing readable was left after cleaning")
    manifest, refused = read_sidecar(path)
    fields = metadata.infer(cleaned.text, cleaned.sections, str(path), furniture=cleaned.furniture)
    values = {k: f.value for k, f in fields.items()} | {"url": None}
    confidence = {k: {"method": f.method, "confidence": f.confidence} for k, f in fields.items()}
    for key, value in manifest.items():
        values[key] = value
        confidence[key] = {"method": f"manifest {sidecar(path).name}", "confidence": "manifest"}
    if "year" not in manifest and ("published" in manifest or "inspection_year" in manifest):
        y = str(values.get("published") or values.get("inspection_year") or "")[:4]
        values["year"] = int(y) if y.isdigit() else values["year"]
    doc = Document(
        doc_id=hashlib.sha256(cleaned.text.encode()).hexdigest()[:16],
        source=str(path.resolve()), url=manifest.get("url"),
        title=values["title"], forces=values["forces"], year=values["year"],
        published=values["published"], inspection_year=values["inspection_year"],
        period=values["period"], programme=values["programme"], kind=values["kind"],
        inspectorate=values["inspectorate"], sections=cleaned.sections, pages=cleaned.pages,
        metadata_confidence=confidence, text=cleaned.text, file_hash=fhash,
        warnings=list(raw.warnings) + refused)
    return doc, cleaned


# Documents are embedded together, a group of about this many texts (chunks and openings) per call;
# their quotable sentences likewise, once the documents are searchable. One call per document ran at 77%
# of the encoder's throughput over the same texts, its tail batches half full or mixing chunks with short
# sentences, all padded to the longest (docs/BENCHMARKS.md).
GROUP_TEXTS = 2048
GROUP_CHARS = 40_000_000  # and at most this much document text held while a group fills


@dataclass
class _Prepared:
    """A document read and chunked, waiting for its group's vectors."""
    path: Path
    source: str
    doc: Document
    chunks: list
    previous: list[Version]  # the versions of this source file indexed before

    def inputs(self) -> list[str]:
        """What is embedded for it before it is searchable, in this order: its chunks, its opening."""
        return [c.indexed_text for c in self.chunks] + [self.doc.head_text()]

    def __len__(self) -> int:
        return len(self.chunks) + 1


def ingest(index, paths: list[Path], *, max_tokens: int, max_text_mb: float, budget: Budget, prune: bool = False,
           progress: Callable[[int, int, str, str], None] | None = None, sentences: bool = True) -> IngestReport:
    """Documents written (chunks and their vectors) and made searchable first; then the vectors of their
    quotable sentences, which only make answers faster: until they are stored, an answer embeds the
    sentences it scores, as for an index built before they were (the sentence vectors are over a third of
    the embedding, docs/BENCHMARKS.md "Scale"). An ingest stopped between
    the two leaves documents the next ingest gives sentence vectors to (upkeep). With `sentences`
    False both are left to the caller (`index.without_sentences()`, `index.add_sentences()`), which
    returns at searchable and stores them in the background (assistant/backfill.py)."""
    started = time.perf_counter()
    report = IngestReport(sentences_later=not sentences)
    with report.timed("upkeep"):
        report.repaired = index.repair()
        report.metadata_repaired = index.repair_metadata()
        report.upgraded = index.add_missing_sentences() if sentences else len(index.upgrade())
    files = discover([Path(p) for p in paths], report)
    done = 0

    def finished(path: Path, status: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(files), str(path), status)

    group: list[_Prepared] = []
    for path in files:
        ready = _prepare(index, path, report, max_tokens, max_text_mb, budget, {p.doc.doc_id: p.source for p in group})
        if isinstance(ready, str):
            finished(path, ready)
            continue
        group.append(ready)
        if (sum(len(p) for p in group) >= GROUP_TEXTS
                or sum(len(p.doc.text) for p in group) >= GROUP_CHARS):
            _write(index, group, report, finished)
            group = []
    _write(index, group, report, finished)
    if prune:
        gone = {source: doc_id for source, doc_id in index.catalog.sources().items() if not Path(source).exists()}
        index.remove(list(gone.values()))
        report.pruned.extend(gone)
    # BM25 from the new chunks; recommendations, areas for improvement, grades of what changed
    with report.timed("settle"):
        index.settle(changed=report.changed)
    report.searchable_after = round(time.perf_counter() - started, 3)
    if sentences and (report.added or report.replaced):
        with report.timed("sentences"):
            index.add_missing_sentences()
    return report


def _failed(report: IngestReport, path: Path, e: Exception) -> str:
    if isinstance(e, IngestError):
        report.failed.append(Failure(str(path), e.reason))
    elif isinstance(e, OSError) and e.errno == errno.ENOSPC:
        raise e  # the device holding the index is full: every other file would fail too
    else:
        report.failed.append(Failure(str(path), f"unexpected {type(e).__name__}: {e}"))
    return "failed"


_EXPECTED = (IngestError, OSError, MemoryError, RuntimeError, ValueError)


def _prepare(index, path: Path, report: IngestReport, max_tokens: int, max_text_mb: float, budget: Budget,
             in_group: dict[str, str]) -> _Prepared | str:
    """The document read and chunked, or why it is not indexed: unchanged, duplicate, failed."""
    source = str(path.resolve())
    try:
        with report.timed("read"):
            fhash = file_hash(path)
            previous = index.catalog.by_source(source)
            if any(v.file_hash == fhash and v.status == "ready" for v in previous):
                report.skipped.append(source)
                return "unchanged"
            deadline = budget.start(str(path))
            doc, cleaned = build_document(path, fhash, deadline)
        other = index.catalog.status(doc.doc_id)
        same = other.source if other and other.source != source and other.status == "ready" else in_group.get(doc.doc_id)
        if same:  # indexed already, or earlier in this group
            report.warnings.append(f"{path}: same text as {same}; not indexed twice")
            report.skipped.append(source)
            report.duplicates[source] = same
            return "duplicate"
        if len(doc.text) > max_text_mb * 1e6:  # a budget per document: one file cannot hold the writer for an hour
            raise IngestError(str(path), f"{len(doc.text) / 1e6:.1f} MB of text after cleaning, over the "
                              f"{max_text_mb:g} MB a document may have; split it, or raise HMIQA_MAX_DOCUMENT_MB")
        embedder = index.embedder
        with report.timed("model"):  # loaded once, by the first document that needs it
            _ = embedder.model
        with report.timed("chunk"):
            chunks = chunk_document(doc, cleaned, embedder.count_tokens, max_tokens=max_tokens,
                                    window=embedder.window)
            doc.n_chunks = len(chunks)
        deadline.check("chunking the text")
        return _Prepared(path, source, doc, chunks, previous)
    except Exception as e:  # noqa: BLE001 - one file's failure, whatever raised it, never stops the batch
        return _failed(report, path, e)


def _write(index, group: list[_Prepared], report: IngestReport, finished: Callable[[Path, str], None]) -> None:
    """A group's texts embedded in one call (the encoder batches them by length), then each document
    indexed. If the call fails, each document is embedded alone, so only the one at fault fails."""
    if not group:
        return
    embedder = index.embedder
    vectors = None
    try:
        with report.timed("embed"):
            vectors = embedder.embed([t for p in group for t in p.inputs()])
    except (MemoryError, RuntimeError, ValueError):
        pass  # each embedded alone below
    at = 0
    for p in group:
        k = len(p)
        try:
            if vectors is not None:
                mine = vectors[at:at + k]
            else:
                with report.timed("embed"):
                    mine = embedder.embed(p.inputs())
            n = len(p.chunks)
            with report.timed("write"):
                index.add(p.doc, p.chunks, mine[:n], mine[n:], replaces=[v.doc_id for v in p.previous])
            (report.replaced if p.previous else report.added).append(p.source)
            report.chunks_added += len(p.chunks)
            report.warnings.extend(f"{p.path}: {w}" for w in p.doc.warnings)
            finished(p.path, "replaced" if p.previous else "added")
        except _EXPECTED as e:
            finished(p.path, _failed(report, p.path, e))
        at += k
