"""How the index behaves at the size of the inspectorate's whole library.

Builds indexes of N chunks through the store's own write path (`Index.add` per 50-chunk document,
then `Index.settle`), from real report sentences recombined into chunks. Vectors: the real model's
for a sample of chunks and sentences, perturbed copies of those for the rest, so that a million
chunks do not take a day to embed on two cores. Then, in a fresh process per size, it measures
search p50/p95 with and without filters, extractive answer p50, cold start (open + first answer),
adding one real 49-chunk report (`hmiqa ingest` of a seed), peak RSS and the index's size on disk; and,
in another fresh process, how long `hmiqa serve` and the app take to be ready (open + warm-up).

    .venv/bin/python scripts/scale.py --sizes 10000,100000 --out docs/BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks_md import write_section  # noqa: E402  (scripts/ is on the path of a script run)

from ingest.chunk import context_line, sentence_spans  # noqa: E402
from ingest.forces import FORCES  # noqa: E402
from ingest.programmes import PROGRAMMES  # noqa: E402
from ingest.records import Chunk, Document  # noqa: E402

CHUNKS_PER_DOC = 50
SAMPLE = 600  # chunks embedded for real; the rest reuse their vectors with noise
QUESTIONS = ["What progress has been made on vetting since 2014?", "Are refused gifts recorded in the register?",
             "How many public complaints were received?", "Does the anti-corruption unit have the capacity to be proactive?",
             "What did the inspectorate recommend about stop and search?", "How is the force tackling domestic abuse?"]
# names no force: every force's recommendations are followed through its later reports
TRACKED_QUESTION = "What did the inspectorate recommend about vetting?"
NEW_REPORT = ROOT / "data" / "reports" / "000_d608bf2d84913752.txt"


def source_sentences(folders: list[Path]) -> list[str]:
    out = []
    for folder in folders:
        for f in sorted(folder.rglob("*")):
            if f.suffix.lower() in (".txt", ".md") and f.is_file():
                text = " ".join(f.read_text(errors="replace").split())  # hard-wrapped lines joined
                out += [text[s:e] for s, e in sentence_spans(text) if 8 <= len(text[s:e].split()) <= 60]
    return sorted(set(out))


def build(path: Path, n_chunks: int, sentences: list[str], seed: int = 7, per_doc: int = CHUNKS_PER_DOC) -> dict:
    from index.sentences import assemble, sentences_of
    from index.store import Index

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    index = Index(path, "all-MiniLM-L6-v2")
    forces, years = list(FORCES), list(range(2011, 2026))
    real_chunks: list[np.ndarray] = []
    real_sentences: list[np.ndarray] = []
    t0 = time.perf_counter()
    embed_s = 0.0
    made = 0
    d = 0
    while made < n_chunks:
        force, year, programme = rng.choice(forces), rng.choice(years), rng.choice(PROGRAMMES)
        title = f"{force}: {programme} inspection {year}"
        pieces, spans, pos = [], [], 0
        for _ in range(min(per_doc, n_chunks - made)):
            body = " ".join(rng.sample(sentences, rng.randint(5, 9)))
            spans.append((pos, pos + len(body)))
            pieces.append(body)
            pos += len(body) + 2
        text = "\n\n".join(pieces)
        doc_id = f"{d:016x}"
        doc = Document(doc_id=doc_id, source=f"/scale/{doc_id}.txt", title=title, forces=[force], year=year,
                       published=None, inspection_year=None, period=None, programme=programme,
                       kind="force inspection", inspectorate="HMICFRS", sections=[], pages=[],
                       metadata_confidence={}, text=text, file_hash=doc_id)
        context = context_line(doc, "")
        chunks = [Chunk(chunk_id=f"{doc_id}:{i:04d}", doc_id=doc_id, ordinal=i, text=text[s:e], start=s, end=e,
                        section="", page_start=None, page_end=None, forces=[force], year=year, programme=programme,
                        kind="force inspection", title=title, context=context) for i, (s, e) in enumerate(spans)]
        doc.n_chunks = len(chunks)
        quotable, texts = sentences_of(chunks)
        if len(real_chunks) < SAMPLE:  # the model's own vectors
            t = time.perf_counter()
            vectors = index.embedder.embed([c.indexed_text for c in chunks])
            sv = index.embedder.embed(texts)
            embed_s += time.perf_counter() - t
            real_chunks += list(vectors)
            real_sentences += list(sv)
        else:  # a sampled real vector, moved a little and renormalised
            vectors = _perturbed(real_chunks, len(chunks), rng, nrng)
            sv = _perturbed(real_sentences, len(texts), rng, nrng)
        index.add(doc, chunks, vectors, vectors[:1], sentences=assemble(chunks, quotable, sv))
        made += len(chunks)
        d += 1
        if d % max(1, 10000 // per_doc) == 0:
            print(f"  {made:,} chunks, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    t = time.perf_counter()
    index.settle()
    settle_s = time.perf_counter() - t
    index.close()
    return {"chunks": made, "documents": d, "per_doc": per_doc, "build_s": round(time.perf_counter() - t0, 1),
            "embed_s": round(embed_s, 1), "settle_s": round(settle_s, 1)}


def _perturbed(pool: list[np.ndarray], n: int, rng: random.Random, nrng) -> np.ndarray:
    base = np.stack([pool[rng.randrange(len(pool))] for _ in range(n)]) if n else np.zeros((0, 384), np.float32)
    moved = base + nrng.normal(0, 0.03, base.shape).astype(np.float32)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def measure(path: Path, rounds: int) -> dict:
    """In its own process: cold start, searches, answers, one report added, peak RSS."""
    from assistant import Assistant

    t0 = time.perf_counter()
    a = Assistant.open(path)
    opened = time.perf_counter()
    _ = a.index.embedder.model
    loaded = time.perf_counter()
    first = a.ask(QUESTIONS[0])
    cold = time.perf_counter() - t0
    parts = {"open_s": opened - t0, "model_s": loaded - opened, "first_answer_s": time.perf_counter() - loaded}
    assert first.citations or first.refused
    filters = a.filters(forces=["Kent"], year_from=2016)
    timings: dict[str, list[float]] = {"search": [], "search_filtered": [], "answer": []}
    for r in range(rounds):
        for q in QUESTIONS:
            q = q if r == 0 else f"{q} ({r})"  # a new text each round: no remembered query vector
            t = time.perf_counter()
            a.search(q)
            timings["search"].append(time.perf_counter() - t)
            t = time.perf_counter()
            a.search(q, filters=filters)
            timings["search_filtered"].append(time.perf_counter() - t)
            t = time.perf_counter()
            a.ask(q)
            timings["answer"].append(time.perf_counter() - t)
    # the seed reports added one after another, one ingest each (the first as in earlier runs): BM25
    # writes a segment per report and merges the newest ones now and then, so times can differ
    add_times, searchable, stored, tracked, added, breakdown = [], [], [], [], 0, {}
    for n, report_file in enumerate([NEW_REPORT] + [f for f in sorted(NEW_REPORT.parent.glob("*.txt")) if f != NEW_REPORT]):
        staged = path.parent / f"new-report-{path.name}-{n}"
        staged.mkdir(exist_ok=True)
        shutil.copy(report_file, staged / report_file.name)
        t = time.perf_counter()
        report = a.ingest([staged])  # returns once the report is searchable
        add_times.append(time.perf_counter() - t)
        searchable.append(report.searchable_after)
        a.wait()  # its sentence vectors, stored in the background: nothing below competes with them
        stored.append(time.perf_counter() - t)
        assert report.ok and report.added, report.to_dict()
        added += report.chunks_added if n == 0 else 0
        breakdown = breakdown or dict(report.seconds)  # the first report's
        if n in (3, 4):  # findings followed through every force's reports: the first time, then after one more report
            t = time.perf_counter()
            a.ask(TRACKED_QUESTION)
            tracked.append(time.perf_counter() - t)
    add_s = add_times[0]
    out = parts | {"cold_start_s": cold, "add_report_s": add_s, "add_report_chunks": added,
           "add_reports_s": [round(x, 2) for x in add_times], "add_report_stages_s": breakdown,
           "add_report_searchable_s": searchable[0], "add_reports_searchable_s": searchable,
           "add_report_sentences_stored_s": stored[0], "add_reports_sentences_stored_s": [round(x, 2) for x in stored],
           "tracked_first_s": tracked[0], "tracked_after_report_s": tracked[1],
           "bm25_segments": len(a.index.bm25.segments),
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "size_mb": sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6}
    for name, values in timings.items():
        ms = sorted(v * 1000 for v in values)
        out[f"{name}_p50_ms"] = statistics.median(ms)
        out[f"{name}_p95_ms"] = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        out[f"{name}_max_ms"] = ms[-1]  # a p95 of 30 hides the one slow question
    a.close()
    return out


def ready(path: Path) -> dict:
    """In its own process: how long `hmiqa serve` and the app take to be ready, opening the index and
    warming up as they do (the model loading beside the corpus, then one question and the findings)."""
    from assistant import Assistant

    t0 = time.perf_counter()
    a = Assistant.open(path)
    opened = time.perf_counter()
    a.warm_up()
    out = {"ready_s": time.perf_counter() - t0, "ready_open_s": opened - t0,
           "ready_warm_up_s": time.perf_counter() - opened}
    a.close()
    return out


def markdown(rows: list[dict]) -> str:
    lines = [f"## Scale\n\nRun {date.today()} by `scripts/scale.py` on {platform.machine()}, {os.cpu_count()} cores. "
             "Indexes built through `Index.add` (one call per document of the chunks the table gives) from real report sentences "
             f"recombined into chunks; the model's vectors for the first {SAMPLE} chunks and their sentences, "
             "perturbed copies for the rest. Each size is measured in a fresh process: search and extractive "
             "answers (hybrid, k=8; filtered: one force and a year range) over 6 questions x rounds, each a new "
             "text; cold start is opening the index and model plus the first answer, one after the other; ready is "
             "opening the index and `Assistant.warm_up()` in another fresh process, as `hmiqa serve` and the app "
             "start (the model loading beside the corpus, then a question and the findings); adding a report is "
             "`ingest` of one real 49-chunk seed report (embedding, writes, BM25) until it returns, then the other seed "
             "reports one ingest each (median and slowest of the five); it returns once readers can find and "
             "answer from the report (searchable), and its quotable sentences' vectors (which only make answers "
             "faster) are stored in the background, done after the last figure.\n",
             "| chunks | per document | build s | search p50 / p95 ms | filtered p50 / p95 ms | answer p50 / p95 / slowest ms | cold start s (open + model + first answer) | ready s (open + warm-up, as serve and the app) | add one report s (median / slowest of 5); searchable after s; sentence vectors stored after s | a force-less recommendation question s (first / after a report) | peak RSS MB | on disk MB |",
             "|---:|---:|---:|---|---|---|---|---|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['chunks']:,} | {r.get('per_doc', CHUNKS_PER_DOC)} | {r['build_s']:.0f} | {r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} | "
                     f"{r['search_filtered_p50_ms']:.0f} / {r['search_filtered_p95_ms']:.0f} | "
                     f"{r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} / {r.get('answer_max_ms', float('nan')):.0f} | {r['cold_start_s']:.1f} ({r['open_s']:.1f} + "
                     f"{r['model_s']:.1f} + {r['first_answer_s']:.1f}) | "
                     f"{r['ready_s']:.1f} ({r['ready_open_s']:.1f} + {r['ready_warm_up_s']:.1f}) | "
                     f"{r['add_report_s']:.1f} ({statistics.median(r['add_reports_s']):.1f} / {max(r['add_reports_s']):.1f}); "
                     f"{r.get('add_report_searchable_s') or float('nan'):.1f}; "
                     f"{r.get('add_report_sentences_stored_s', float('nan')):.1f} | "
                     f"{r.get('tracked_first_s', float('nan')):.1f} / {r.get('tracked_after_report_s', float('nan')):.1f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['size_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10000,100000", help="comma-separated chunk counts")
    p.add_argument("--work", type=Path, default=ROOT / "var" / "scale", help="where the indexes are built")
    p.add_argument("--rounds", type=int, default=5, help="rounds of the 6 questions per measurement")
    p.add_argument("--chunks-per-doc", type=int, default=CHUNKS_PER_DOC,
                   help="chunks of each generated document (one Index.add each); a large report has hundreds")
    p.add_argument("--corpus", type=Path, action="append", default=[],
                   help="extra folders of .txt/.md reports whose sentences are recombined (default: the seeds, "
                        "and ../shared/realdev/corpus where present)")
    p.add_argument("--out", type=Path, help="replace the 'Scale' section of this Markdown file")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child processes
    p.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.rounds)))
        return
    if args.ready:
        print(json.dumps(ready(args.ready)))
        return
    folders = [ROOT / "data" / "reports"] + args.corpus
    realdev = ROOT.parent / "shared" / "realdev" / "corpus"
    if not args.corpus and realdev.exists():
        folders.append(realdev)
    sentences = source_sentences(folders)
    print(f"{len(sentences):,} distinct sentences from {len(folders)} folder(s)", file=sys.stderr)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        path = args.work / f"index-{n}"
        shutil.rmtree(path, ignore_errors=True)
        for old in args.work.glob(f"new-report-index-{n}*"):
            shutil.rmtree(old, ignore_errors=True)
        built = build(path, n, sentences, per_doc=args.chunks_per_doc)
        print(f"built {n:,}: {built}", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, __file__, "--measure", str(path), "--rounds", str(args.rounds)],
                               capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(f"measuring {n:,} chunks failed:\n{child.stderr[-3000:]}")
        row = built | json.loads(child.stdout.strip().splitlines()[-1])
        child = subprocess.run([sys.executable, __file__, "--ready", str(path)], capture_output=True, text=True)
        if child.returncode:
            raise SystemExit(f"starting on {n:,} chunks failed:\n{child.stderr[-3000:]}")
        row |= json.loads(child.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
    table = markdown(rows)
    print(table)
    if args.out:
        write_section(args.out, "Scale", table)


if __name__ == "__main__":
    main()
