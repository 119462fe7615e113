"""Embedding backends, measured in one run: ONNX Runtime (the default on a CPU) against
sentence-transformers (torch). A fresh process per start-up figure; the encoding figures in one process,
the backends and batch sizes alternating, the median of the rounds. Writes the "Embedding backends"
section of docs/BENCHMARKS.md with --out.

    python scripts/bench_backends.py --out docs/BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks_md import write_section  # noqa: E402  (scripts/ is on the path of a script run)

REPORT = ROOT / "data" / "reports" / "000_d608bf2d84913752.txt"  # the 49-chunk report scale.py adds

# a new process: from the first import to the first vector, and its peak memory
START = """
import json, resource, sys, time
t = time.perf_counter()
from index.embed import Embedder
e = Embedder(backend=sys.argv[1])
e.embed(["How many vetting cases were outstanding?"])
print(json.dumps({"s": time.perf_counter() - t, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "torch": "torch" in sys.modules}))
"""


def start_up(backend: str, runs: int) -> dict:
    got = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", START, backend], capture_output=True, text=True, cwd=ROOT,
                             check=True, env=os.environ | {"ORT_DISABLE_TELEMETRY": "1"})
        got.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"s": statistics.median(g["s"] for g in got), "rss_mb": statistics.median(g["rss_mb"] for g in got),
            "torch": got[0]["torch"]}


def texts() -> tuple[list[str], list[str]]:
    """What ingest embeds for the report: its chunks and opening (before it is searchable), then its
    quotable sentences."""
    from assistant.settings import Settings
    from index.embed import Embedder
    from index.sentences import sentences_of
    from ingest.chunk import chunk_document
    from ingest.pipeline import build_document

    e = Embedder()
    doc, cleaned = build_document(REPORT, "bench")
    chunks = chunk_document(doc, cleaned, e.count_tokens, max_tokens=Settings.defaults().chunk_tokens, window=e.window)
    return [c.indexed_text for c in chunks] + [doc.head_text()], sentences_of(chunks)[1]


def encoding(rounds: int, sizes: list[int]) -> tuple[dict, float, int, int]:
    import numpy as np

    from index.embed import Embedder

    first, sentences = texts()
    models = {b: Embedder(backend=b) for b in ("onnx", "torch")}
    diff = float(np.abs(models["onnx"].embed(first + sentences) - models["torch"].embed(first + sentences)).max())
    times: dict[tuple[str, int, str], list[float]] = {}
    for _ in range(rounds):
        for size in sizes:
            for backend, e in models.items():
                e.batch_size = size
                for part, group in (("chunks", first), ("sentences", sentences)):
                    t = time.perf_counter()
                    e.embed(group)
                    times.setdefault((backend, size, part), []).append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}, diff, len(first), len(sentences)


def markdown(starts: dict, enc: dict, diff: float, n_first: int, n_sent: int, sizes: list[int], rounds: int) -> str:
    lines = [f"## Embedding backends\n\nRun {date.today()} by `scripts/bench_backends.py` on {platform.machine()}, "
             f"{os.cpu_count()} cores (the machine of the \"Scale\" section). The model is all-MiniLM-L6-v2 "
             "either way; `embedding_backend` auto runs it through ONNX Runtime on a CPU (an export of its own "
             "weights, made once and kept only if it matches sentence-transformers on probe texts).\n",
             "| backend | new process to first vector s (median of 3) | its peak RSS MB | imports torch |",
             "|---|---:|---:|---|"]
    for b, r in starts.items():
        lines.append(f"| {b} | {r['s']:.2f} | {r['rss_mb']:.0f} | {'yes' if r['torch'] else 'no'} |")
    lines += ["", f"Encoding the 49-chunk report scale.py adds: its {n_first - 1} chunks and opening (what ingest embeds "
              f"before the report is searchable), then its {n_sent} quotable sentences; seconds, median of {rounds} "
              "rounds, backends and batch sizes alternating:", "",
              "| batch size | onnx: chunks | onnx: sentences | torch: chunks | torch: sentences |", "|---:|---:|---:|---:|---:|"]
    for size in sizes:
        lines.append(f"| {size} | {enc['onnx', size, 'chunks']:.2f} | {enc['onnx', size, 'sentences']:.2f} | "
                     f"{enc['torch', size, 'chunks']:.2f} | {enc['torch', size, 'sentences']:.2f} |")
    lines += ["", f"Largest difference between the two backends' vectors of these texts, per component: {diff:.1e}. "
              "The seed and realdev evaluations give the same figures with either (eval/RESULTS*.md)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3, help="rounds of the encoding comparison")
    p.add_argument("--sizes", default="8,16,32", help="comma-separated batch sizes to compare")
    p.add_argument("--out", type=Path, help="replace the 'Embedding backends' section of this Markdown file")
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    starts = {b: start_up(b, 3) for b in ("onnx", "torch")}
    enc, diff, n_first, n_sent = encoding(args.rounds, sizes)
    section = markdown(starts, enc, diff, n_first, n_sent, sizes, args.rounds)
    print(section)
    if args.out:
        write_section(args.out, "Embedding backends", section)


if __name__ == "__main__":
    main()
