"""BM25's segments shared through the Chroma server, so each process of a shared deployment reads them
instead of tokenising every chunk itself (a million chunks: 364 s, docs/BENCHMARKS.md "Scale").

A writer publishes each segment it makes (chunk ids, token ids, offsets, compressed: postings are
counted where it is read) as a few records of the `hmiqa_bm25` collection, then the tokens it added to
the vocabulary, then a manifest naming the segments in order: replacing the manifest is the one change
readers see, so a snapshot is read whole or not at all. A published segment never changes; a process
keeps a copy of each under its own index folder, in the embedded layout, and fetches only those it
lacks. Chroma writes these records at about 1.5 MB/s here and reads them at about 90 MB/s: a report's
segment costs a write a fraction of a second, a big merge minutes, once, for every process after.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from pathlib import Path

import numpy as np

from .bm25 import BM25Index, Segment

COLLECTION = "hmiqa_bm25"
MANIFEST = "manifest"
PART = 4_000_000  # base64 characters per record
PLACEHOLDER = [1.0]  # Chroma wants a vector per record; never queried
VOCAB_RECORDS = 64  # vocabulary records a snapshot may list before they are gathered into one


def _vocab_hash(tokens: list[str]) -> str:
    return hashlib.sha1(json.dumps(tokens).encode()).hexdigest()


class SharedSegments:
    def __init__(self, client):
        self.collection = client.get_or_create_collection(COLLECTION, embedding_function=None)

    def manifest(self) -> dict | None:
        got = self.collection.get(ids=[MANIFEST], include=["documents"])
        return json.loads(got["documents"][0]) if got["ids"] else None

    def publish(self, index: BM25Index) -> None:
        """Make `index`'s segments the shared snapshot (its writer holds the writer lock)."""
        manifest = self.manifest() or {"segments": [], "vocab": [], "vocab_size": 0, "vocab_hash": _vocab_hash([])}
        tokens = list(index.vocab)  # ids are insertion order: token i has id i
        size = manifest["vocab_size"]
        if size > len(tokens) or _vocab_hash(tokens[:size]) != manifest["vocab_hash"]:
            # not built on the published snapshot (a first writer, or one that found none): its own
            manifest = {"segments": [], "vocab": [], "vocab_size": 0}
            size = 0
        published = {s["name"]: s["parts"] for s in manifest["segments"]}
        segments = []
        for seg in index.segments:
            parts = published.get(seg.name) or self._put(seg)  # _put names a segment not yet saved
            segments.append({"name": seg.name, "parts": parts})
        vocab = list(manifest["vocab"])
        if len(vocab) >= VOCAB_RECORDS:  # a report's few new words each time: gathered into one record
            vocab, size = [], 0
        if len(tokens) > size:
            key = f"vocab:{uuid.uuid4().hex[:12]}"
            self.collection.upsert(ids=[key], embeddings=[PLACEHOLDER], documents=[json.dumps(tokens[size:])],
                                   metadatas=[{"kind": "vocab"}])
            vocab.append(key)
        new = {"segments": segments, "vocab": vocab, "vocab_size": len(tokens), "vocab_hash": _vocab_hash(tokens)}
        self.collection.upsert(ids=[MANIFEST], embeddings=[PLACEHOLDER], documents=[json.dumps(new)],
                               metadatas=[{"kind": "manifest"}])
        # what no manifest names any more: merged-away segments, a replaced vocabulary
        names, keys = [s["name"] for s in segments], set(vocab)
        stale = [i for i, m in zip(*self._all()) if (m["kind"] == "segment" and m["segment"] not in names)
                 or (m["kind"] == "vocab" and i not in keys)]
        for i in range(0, len(stale), 500):
            self.collection.delete(ids=stale[i:i + 500])

    def _all(self) -> tuple[list[str], list[dict]]:
        got = self.collection.get(where={"kind": {"$ne": "manifest"}}, include=["metadatas"])
        return got["ids"], got["metadatas"]

    def _put(self, seg: Segment) -> int:
        """A segment's records; returns how many. A segment built in this process is named here."""
        if not seg.name:
            seg.name = f"seg-{uuid.uuid4().hex[:12]}"
        buf = io.BytesIO()
        np.savez_compressed(buf, tokens=np.asarray(seg.tokens), offsets=np.asarray(seg.offsets),
                            chunk_ids=np.frombuffer(json.dumps(seg.chunk_ids).encode(), dtype=np.uint8))
        text = base64.b64encode(buf.getvalue()).decode()
        parts = [text[i:i + PART] for i in range(0, len(text), PART)] or [""]
        for n, part in enumerate(parts):
            self.collection.upsert(ids=[f"{seg.name}:{n}"], embeddings=[PLACEHOLDER], documents=[part],
                                   metadatas=[{"kind": "segment", "segment": seg.name, "part": n}])
        return len(parts)

    def fetch(self, folder: Path) -> BM25Index | None:
        """The published snapshot, copied into `folder` (only segments it lacks are read) and loaded
        from there memory-mapped; None when nothing is published yet."""
        for _ in range(5):  # a writer may replace the snapshot while it is read
            manifest = self.manifest()
            if manifest is None:
                return None
            try:
                return self._copy(manifest, folder)
            except (KeyError, FileNotFoundError):
                continue
        return None

    def _copy(self, manifest: dict, folder: Path) -> BM25Index | None:
        folder.mkdir(parents=True, exist_ok=True)
        got = self.collection.get(ids=manifest["vocab"], include=["documents"])
        text = dict(zip(got["ids"], got["documents"], strict=True))
        tokens = [t for key in manifest["vocab"] for t in json.loads(text[key])]  # KeyError: replaced meanwhile
        if len(tokens) != manifest["vocab_size"]:
            raise KeyError("vocabulary")
        segments = []
        for s in manifest["segments"]:
            if (folder / s["name"] / "tf.npy").exists():
                segments.append(Segment.load(folder / s["name"]))
                continue
            ids = [f"{s['name']}:{n}" for n in range(s["parts"])]
            got = self.collection.get(ids=ids, include=["documents"])
            if len(got["ids"]) != len(ids):
                raise KeyError(s["name"])
            parts = dict(zip(got["ids"], got["documents"], strict=True))
            arrays = np.load(io.BytesIO(base64.b64decode("".join(parts[i] for i in ids))))
            seg = Segment.of(json.loads(arrays["chunk_ids"].tobytes()), arrays["tokens"], arrays["offsets"], len(tokens))
            segments.append(seg.save(folder, name=s["name"]))
        index = BM25Index([], {t: i for i, t in enumerate(tokens)}, segments, None)
        index.save(folder, prune_after=3600)  # the local copy, in the embedded layout
        return index
