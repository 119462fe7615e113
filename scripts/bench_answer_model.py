"""Warm extractive answer latency of this checkout against another (the commit before a change), in one
run: each checkout answers the seed questions in its own process over its own index of the seed
reports, rounds alternating between the two so both see the same machine load. Writes the "Answer
latency against a baseline commit" section of docs/BENCHMARKS.md.

    git worktree add /tmp/before <commit>
    .venv/bin/python scripts/bench_answer_model.py --before /tmp/before --label "<commit> (hand-set score)"
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench import percentile  # noqa: E402  (scripts/bench.py, beside this one)
SECTION = "Answer latency against a baseline commit"

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from assistant import Assistant
a = Assistant.open(Path(sys.argv[2]))
if not a.documents():
    a.ingest([Path(sys.argv[1]) / "data" / "reports"])
    a.wait()
questions = [json.loads(x)["question"] for x in Path(sys.argv[3]).read_text().splitlines() if x.strip()]
for q in questions:
    a.ask(q)  # warm: the model loaded, the question vectors cached for the warm-up texts only
times = []
for r in range(int(sys.argv[4])):
    for q in questions:
        t = time.perf_counter()
        a.ask(f"{q} ({sys.argv[5]}-{r})")  # a text not asked before: its vector is computed
        times.append((time.perf_counter() - t) * 1000)
print(json.dumps(times))
"""


def run(checkout: Path, index: Path, dataset: Path, rounds: int, tag: str) -> list[float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(checkout), str(index), str(dataset), str(rounds), tag],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="a checkout of the baseline commit")
    ap.add_argument("--label", default="before", help="what the baseline checkout is, for the table")
    ap.add_argument("--dataset", type=Path, default=ROOT / "eval" / "datasets" / "seed.jsonl")
    ap.add_argument("--passes", type=int, default=3, help="alternating passes per checkout")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    args = ap.parse_args()
    times: dict[str, list[float]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.passes):
            for name, checkout in (("before", args.before), ("after", ROOT)):
                times[name] += run(checkout, Path(tmp) / name, args.dataset, 2, f"{name}{n}")
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    text = "\n".join([
        f"## {SECTION}", "",
        f"`scripts/bench_answer_model.py`: warm extractive answers to the {args.dataset.name} questions, each a text "
        f"not asked before, {args.passes} alternating passes per checkout in one run (n={len(times['after'])} each).", "",
        "| checkout | p50 ms | p95 ms |", "|---|---:|---:|",
        f"| {args.label} | {before:.0f} | {percentile(times['before'], 95):.0f} |",
        f"| this checkout (answer model) | {after:.0f} | {percentile(times['after'], 95):.0f} |",
        "", f"Ratio of medians: **{after / before:.2f}×**.", ""])
    print(text)
    if args.out.exists():
        doc = args.out.read_text()
        pattern = rf"^## {re.escape(SECTION)}\n.*?(?=^## |\Z)"
        doc = re.sub(pattern, lambda _: text + "\n", doc, flags=re.S | re.M) if re.search(pattern, doc, re.S | re.M) \
            else doc.rstrip("\n") + "\n\n" + text
        args.out.write_text(doc)


if __name__ == "__main__":
    main()
