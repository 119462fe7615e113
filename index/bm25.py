"""BM25 over the chunk texts (with their context line), kept in segments beside the vectors.

Adding a report writes a small segment of its own instead of rebuilding one score matrix over the
whole corpus (33 s at a million chunks, docs/BENCHMARKS.md "Scale"). Now and then the newest segments
are merged, so segment sizes fall geometrically from the oldest and a chunk is rewritten a few times in
its life, as in Lucene.

A segment keeps term frequencies, not scores: a posting's score depends on the whole corpus (its size,
each word's document frequency, the mean length), so it is computed at query time over the chunks being
read, the same arithmetic as bm25s's own index of those chunks (Lucene's idf, k1 1.5, b 0.75).
Each segment's chunks have a row in the corpus order, or -1: a chunk taken out, or indexed again into a
newer segment, stays in its segment, dead, until a merge drops it.
"""
from __future__ import annotations

import bisect
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.records import Chunk

K1, B = 1.5, 0.75  # bm25s's defaults, its "lucene" method
MERGE_FACTOR = 4  # the newest segment merges into the one before once it is a quarter of its size
MAX_SEGMENTS = 12
_ARRAYS = ("tokens", "offsets", "indptr", "docs", "tf")
_FORMAT_1 = {"chunk_ids.json", "token_vocab.json", "tokens.npy", "offsets.npy", "params.index.json",
             "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy",
             "nonoccurrence_array.index.npy"}  # what versions before segments saved here


def _stemmer():
    import Stemmer
    return Stemmer.Stemmer("english")


_local = threading.local()


def _thread_stemmer():
    """PyStemmer's objects are not thread-safe: one per thread that searches."""
    if getattr(_local, "stemmer", None) is None:
        _local.stemmer = _stemmer()
    return _local.stemmer


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s
    return bm25s.tokenize(texts, stopwords="en", stemmer=_thread_stemmer(), return_ids=False, show_progress=False)


def _postings(tokens: np.ndarray, lengths: np.ndarray, n_vocab: int, block: int = 1 << 20):
    """Token-major postings (for each token, the chunks holding it and how often), as CSC arrays:
    indptr, chunk, term frequency. Chunks are counted a block of ~`block` tokens at a time and the pairs
    kept as int32, so the temporaries stay a fraction of the segment's tokens."""
    n_docs = len(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    docs, toks, tfs = [], [], []
    lo = 0
    while lo < n_docs:  # (chunk, token, count) for each token a chunk holds, in chunk order
        hi = int(np.searchsorted(offsets, offsets[lo] + block, side="right")) - 1
        hi = min(max(hi, lo + 1), n_docs)
        part = tokens[offsets[lo]:offsets[hi]].astype(np.int64)
        doc = np.repeat(np.arange(hi - lo, dtype=np.int64), lengths[lo:hi])
        pairs, tf = np.unique(doc * n_vocab + part, return_counts=True)
        docs.append((pairs // n_vocab + lo).astype(np.int32))
        toks.append((pairs % n_vocab).astype(np.int32))
        tfs.append(tf.astype(np.int32))
        lo = hi
    doc = np.concatenate(docs) if docs else np.zeros(0, np.int32)
    tok = np.concatenate(toks) if toks else np.zeros(0, np.int32)
    tf_all = np.concatenate(tfs) if tfs else np.zeros(0, np.int32)
    del docs, toks, tfs
    order = np.argsort(tok, kind="stable")  # token-major; chunks stay in order within a token
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tok, minlength=n_vocab))]).astype(np.int64)
    return indptr, doc[order], tf_all[order]


@dataclass
class Segment:
    """Some chunks' tokens (ids into the index's vocabulary) and their postings; chunk ids sorted."""
    chunk_ids: list[str]
    tokens: np.ndarray  # every chunk's token ids, concatenated in chunk_ids order
    offsets: np.ndarray  # chunk i's tokens are tokens[offsets[i]:offsets[i + 1]]
    indptr: np.ndarray  # token t's postings are docs/tf[indptr[t]:indptr[t + 1]] (t below the vocabulary
    docs: np.ndarray  # size when the segment was written; later tokens have none here)
    tf: np.ndarray
    name: str | None = None  # its directory, once saved

    @classmethod
    def of(cls, chunk_ids: list[str], tokens: np.ndarray, offsets: np.ndarray, n_vocab: int) -> "Segment":
        indptr, docs, tf = _postings(tokens, np.diff(offsets), n_vocab)
        return cls(chunk_ids, tokens, offsets, indptr, docs, tf)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def rows_of(self, doc_id: str) -> range:
        """Where a document's chunks are (ids are sorted, so they are one run)."""
        return range(bisect.bisect_left(self.chunk_ids, doc_id + ":"), bisect.bisect_left(self.chunk_ids, doc_id + ";"))

    def save(self, folder: Path, name: str | None = None) -> "Segment":
        """Written under `name` (a fresh one by default) and read back memory-mapped, as other readers
        will have it. A segment is never rewritten: if another process saved that name first, its copy
        is the one read."""
        name = name or f"seg-{uuid.uuid4().hex[:12]}"
        if not (folder / name).is_dir():
            tmp = folder / f".{name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp"
            tmp.mkdir(parents=True)
            (tmp / "chunk_ids.json").write_text(json.dumps(self.chunk_ids))
            for key in _ARRAYS:
                np.save(tmp / f"{key}.npy", getattr(self, key))
            try:
                tmp.rename(folder / name)
            except OSError:  # saved meanwhile by another process
                shutil.rmtree(tmp, ignore_errors=True)
        return Segment.load(folder / name, self.chunk_ids)

    @classmethod
    def load(cls, path: Path, chunk_ids: list[str] | None = None) -> "Segment":
        # memory-mapped: a query reads the postings of its own words, and tokens are read only when a
        # merge rewrites the segment, so neither needs to sit in every reader's memory
        arrays = {k: np.load(path / f"{k}.npy", mmap_mode=None if k == "offsets" else "r") for k in _ARRAYS}
        ids = chunk_ids if chunk_ids is not None else json.loads((path / "chunk_ids.json").read_text())
        return cls(ids, name=path.name, **arrays)


def _merged(parts: list[tuple[Segment, np.ndarray]], chunk_ids: list[str], n_vocab: int) -> tuple[Segment, np.ndarray]:
    """One segment of the live chunks of these (segment, rows), in corpus order, and its rows."""
    picks = [(seg, np.flatnonzero(rows >= 0), rows) for seg, rows in parts]
    rows = np.concatenate([r[i] for _, i, r in picks]).astype(np.int64)
    order = np.argsort(rows, kind="stable")
    starts = np.concatenate([np.asarray(seg.offsets)[i] for seg, i, _ in picks])[order]
    lengths = np.concatenate([seg.lengths()[i] for seg, i, _ in picks])[order]
    source = np.concatenate([np.full(len(i), n, np.int32) for n, (_, i, _) in enumerate(picks)])[order]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    tokens = np.empty(int(offsets[-1]), dtype=np.int32)
    for n, (seg, _, _) in enumerate(picks):  # a gather per source segment, no loop over chunks
        mine = np.flatnonzero(source == n)
        if len(mine):
            tokens[_ranges(offsets[mine], lengths[mine])] = np.asarray(seg.tokens)[_ranges(starts[mine], lengths[mine])]
    rows = rows[order]
    return Segment.of([chunk_ids[r] for r in rows], tokens, offsets, n_vocab), rows.astype(np.int32)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated ranges starts[i] .. starts[i] + lengths[i], without a loop."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    begin = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return begin + np.arange(total)


class BM25Index:
    def __init__(self, chunk_ids: list[str], vocab: dict[str, int], segments: list[Segment],
                 rows: list[np.ndarray] | None):
        self.chunk_ids = chunk_ids  # the corpus, in the order scores are given
        self.vocab = vocab  # token -> id, only ever extended
        self.segments = segments  # oldest first
        self.rows = rows  # per segment: each chunk's row in chunk_ids, -1 if dead; None: not yet read
        self._avg: float | None = None
        self._norm: list[tuple[np.ndarray, bool]] | None = None
        self.tokenised = 0  # chunks this build tokenised (the rest came from segments)

    @classmethod
    def build(cls, chunks: list[Chunk], previous: "BM25Index | None" = None,
              again: set[str] = frozenset()) -> "BM25Index | None":
        """The index of `chunks`; the tokens of chunks `previous` already holds are reused."""
        by_id = {c.chunk_id: c for c in chunks}
        return cls.from_ids([c.chunk_id for c in chunks], lambda ids: [by_id[i].indexed_text for i in ids],
                            previous, again)

    @classmethod
    def from_ids(cls, chunk_ids: list[str], texts: Callable[[list[str]], list[str]],
                 previous: "BM25Index | None" = None, again: set[str] = frozenset(),
                 positions: dict[str, int] | None = None, tidy: bool = True,
                 page: int = 5000) -> "BM25Index | None":
        """The index of these chunks, in this order (sorted): the segments of `previous` where they hold
        a chunk (the newest copy; not a chunk of a document in `again`, indexed again, its ids kept
        but perhaps not its context line), and a new segment of the rest, whose `texts(ids)` are read
        and tokenised a page at a time so memory stays flat. Then, if `tidy`, segments are merged when
        due (a writer's build; a reader takes the segments as the writer left them)."""
        if not chunk_ids:
            return None
        pos = positions if positions is not None else {c: i for i, c in enumerate(chunk_ids)}
        claimed = np.zeros(len(chunk_ids), dtype=bool)
        segments, rows = [], []
        olds = previous.segments if previous is not None else []
        old_rows = previous.rows if previous is not None and previous.rows is not None else [None] * len(olds)
        for seg, before in zip(reversed(olds), reversed(old_rows)):  # the newest copy of a chunk wins
            r = np.fromiter((pos.get(c, -1) for c in seg.chunk_ids), dtype=np.int32, count=len(seg))
            if before is not None:
                r[before < 0] = -1  # dead stays dead: a chunk back in the corpus is in a newer segment
            for doc in again:
                span = seg.rows_of(doc)
                r[span.start:span.stop] = -1
            live = r >= 0
            live[live] = ~claimed[r[live]]
            r[~live] = -1
            claimed[r[live]] = True
            if live.any():
                segments.insert(0, seg)
                rows.insert(0, r)
        vocab = dict(previous.vocab) if previous is not None else {}
        new = [chunk_ids[i] for i in np.flatnonzero(~claimed)]
        if new:
            parts, lengths = [], []
            for i in range(0, len(new), page):
                for toks in tokenize(texts(new[i:i + page])):
                    parts.append(np.array([vocab.setdefault(t, len(vocab)) for t in toks], dtype=np.int32))
                    lengths.append(len(parts[-1]))
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
            tokens = np.concatenate(parts) if parts else np.zeros(0, np.int32)
            segments.append(Segment.of(new, tokens.astype(np.int32), offsets, len(vocab)))
            rows.append(np.fromiter((pos[c] for c in new), dtype=np.int32, count=len(new)))
        index = cls(list(chunk_ids), vocab, segments, rows)
        index.tokenised = len(new)
        if tidy:
            index._tidy()
        return index

    def _tidy(self) -> None:
        """Merge the newest segment into the one before while it is at least 1/MERGE_FACTOR of its
        live size (or there are too many), and rewrite a segment mostly dead."""
        segs, rows = self.segments, self.rows
        live = [int((r >= 0).sum()) for r in rows]
        for i in range(len(segs)):
            if live[i] * 2 < len(segs[i]):
                segs[i], rows[i] = _merged([(segs[i], rows[i])], self.chunk_ids, len(self.vocab))
        while len(segs) > 1 and (live[-1] * MERGE_FACTOR >= live[-2] or len(segs) > MAX_SEGMENTS):
            seg, r = _merged([(segs[-2], rows[-2]), (segs[-1], rows[-1])], self.chunk_ids, len(self.vocab))
            segs[-2:], rows[-2:], live[-2:] = [seg], [r], [live[-2] + live[-1]]

    def avg_length(self) -> float:
        if self._avg is None:
            total = sum(int(seg.lengths()[r >= 0].sum()) for seg, r in zip(self.segments, self.rows))
            self._avg = total / len(self.chunk_ids) if self.chunk_ids else 1.0
        return self._avg

    def _norms(self) -> list[tuple[np.ndarray, bool]]:
        """Per segment: each chunk's length norm, k1 * (1 - b + b * length / mean length) (float64, as
        bm25s computes it per posting; computing it once per chunk gives the same values), and whether
        any of its chunks is dead. Once per corpus read: a query then gathers one number per posting."""
        if self._norm is None:
            avg = np.float64(self.avg_length())
            self._norm = [(K1 * ((1 - B) + B * seg.lengths() / avg), bool((rows < 0).any()))
                          for seg, rows in zip(self.segments, self.rows)]
        return self._norm

    def idf(self, query: str) -> dict[str, float]:
        """The query's words (as BM25 tokenizes them) and how rare each is in the corpus (Lucene's idf;
        a word the corpus lacks is as rare as a word in one chunk)."""
        n = len(self.chunk_ids)
        out = {}
        for token in tokenize([query])[0]:
            t, df = self.vocab.get(token), 0
            if t is not None:
                for seg, rows in zip(self.segments, self.rows):
                    if t + 1 < len(seg.indptr) and seg.indptr[t] < seg.indptr[t + 1]:
                        df += int((rows[np.asarray(seg.docs[int(seg.indptr[t]):int(seg.indptr[t + 1])])] >= 0).sum())
            out[token] = float(np.log(1 + (n - max(df, 1) + 0.5) / (max(df, 1) + 0.5)))
        return out

    def scores(self, query: str) -> np.ndarray:
        """Each chunk's BM25 score for the query, in chunk_ids order (float32, as bm25s gives)."""
        n = len(self.chunk_ids)
        out = np.zeros(n, dtype=np.float32)
        norms = self._norms()
        for token in tokenize([query])[0]:  # a word twice in the question counts twice, as in bm25s
            t = self.vocab.get(token)
            if t is None:
                continue
            found = []
            for seg, rows, (norm, dead) in zip(self.segments, self.rows, norms):
                if t + 1 >= len(seg.indptr) or seg.indptr[t] == seg.indptr[t + 1]:
                    continue
                lo, hi = int(seg.indptr[t]), int(seg.indptr[t + 1])
                local, tf = np.asarray(seg.docs[lo:hi]), np.asarray(seg.tf[lo:hi])
                r = rows[local]
                if dead:
                    live = r >= 0
                    r, local, tf = r[live], local[live], tf[live]
                found.append((r, tf, norm[local]))
            df = sum(len(f[0]) for f in found)
            if not df:
                continue
            # the arithmetic and float widths of bm25s's lucene scorer, so scores are bit-for-bit its own
            idf = np.log(1 + (n - np.array([df]) + 0.5) / (np.array([df]) + 0.5)).astype(np.float32)[0]
            for r, tf, norm in found:
                tf = tf.astype(np.float32)
                np.add.at(out, r, (idf * (tf / (norm + tf))).astype(np.float32))  # rows unique: a sum as bm25s's
        return out

    def save(self, path: Path, prune_after: float = 0.0) -> None:
        """New segments written, then the vocabulary and the list of segments swapped in (a reader
        opening meanwhile sees the old list, whose segments stay until it is replaced). Segments no
        list names any more go once `prune_after` seconds old (a shared copy's folder is written by
        several processes, each with the snapshot it fetched)."""
        path.mkdir(parents=True, exist_ok=True)
        self.segments = [seg if seg.name and (path / seg.name).is_dir() else seg.save(path, seg.name)
                         for seg in self.segments]
        _write(path / "vocab.json", json.dumps(self.vocab))
        _write(path / "segments.json", json.dumps({"format": 2, "segments": [s.name for s in self.segments]}))
        keep = {s.name for s in self.segments}
        now = time.time()
        for p in path.iterdir():
            if p.name.startswith("seg-") and p.name not in keep and now - p.stat().st_mtime >= prune_after:
                shutil.rmtree(p, ignore_errors=True)  # merged away
            elif p.name in _FORMAT_1:
                p.unlink(missing_ok=True)
            elif p.name.endswith(".tmp") and now - p.stat().st_mtime > 3600:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)  # a crash's

    @classmethod
    def load(cls, path: Path) -> "BM25Index | None":
        """The saved segments, not yet read against a corpus (from_ids does that); None when there are
        none. A format-1 index (one matrix, kept tokens) is read as one segment without re-tokenising."""
        for _ in range(5):  # a writer may swap the segments between reading the list and a segment
            try:
                if (path / "segments.json").exists():
                    names = json.loads((path / "segments.json").read_text())["segments"]
                    vocab = json.loads((path / "vocab.json").read_text())
                    return cls([], vocab, [Segment.load(path / n) for n in names], None)
                if (path / "tokens.npy").exists() and (path / "chunk_ids.json").exists():
                    vocab = json.loads((path / "token_vocab.json").read_text())
                    ids = json.loads((path / "chunk_ids.json").read_text())
                    seg = Segment.of(ids, np.load(path / "tokens.npy"), np.load(path / "offsets.npy"), len(vocab))
                    return cls([], vocab, [seg], None)
                return None
            except (FileNotFoundError, json.JSONDecodeError, ValueError):
                continue
        return None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
