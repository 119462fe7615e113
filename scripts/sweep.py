"""Sweep the retrieval settings on the seeds and on ../shared/realdev together. Prints Markdown; with --out, writes
it into that file between the markers `<!-- sweep -->` and `<!-- /sweep -->` (eval/RESULTS.md).

    .venv/bin/python scripts/sweep.py --out eval/RESULTS.md

Each setting is varied alone around the defaults (assistant/settings.py); an index is built once per
corpus and chunk size and reused. A few minutes on two cores.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval import runner  # noqa: E402

SETS = {
    "seeds": (ROOT / "eval" / "datasets" / "seed.jsonl", ROOT / "data" / "reports"),
    "realdev": (ROOT.parent / "shared" / "realdev" / "questions.jsonl", ROOT.parent / "shared" / "realdev" / "corpus"),
}
RETRIEVAL = [  # (setting, values): one at a time, the rest at their defaults
    ("fusion", ["weighted", "rrf"]),
    ("alpha", [0.2, 0.3, 0.5]),
    ("doc_weight", [0.0, 0.3, 0.6]),
    ("prefer_weight", [0.0, 0.15, 0.3, 0.5]),
    ("chunk_tokens", [120, 200]),
]
COLS = ("hit@1", "hit@5", "MRR@10", "nDCG@10")


def _run(name: str, modes: list[str], work: Path, **over):
    dataset, corpus = SETS[name]
    idx = work / f"{name}-{over.get('chunk_tokens', 200)}"
    return runner.run(dataset, corpus, modes, index_dir=idx, index=str(work / "unused"), **over)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the sweep into this Markdown file between the markers")
    ap.add_argument("--work", type=Path, default=Path("var/sweep"), help="where the sweep's indexes live")
    args = ap.parse_args()
    sets = [s for s in SETS if SETS[s][0].is_file()]
    out = ["## Sweep", "",
           f"`scripts/sweep.py` on {' and '.join(sets)}: each setting varied alone, the others at their defaults; "
           "hybrid+filters is what `ask` retrieves with. The defaults were chosen on both sets together.", ""]
    base = {s: _run(s, ["baseline"], args.work).mode("baseline").summary for s in sets}
    out += ["| setting | value | " + " | ".join(f"{s} {c}" for s in sets for c in ("hit@5", "MRR@10", "nDCG@10")) + " |",
            "|---|---|" + "---:|" * (3 * len(sets))]
    out.append("| baseline (llama-index) | | " + " | ".join(f"{base[s][c]:.3f}" for s in sets
                                                           for c in ("hit@5", "MRR@10", "nDCG@10")) + " |")
    for setting, values in RETRIEVAL:
        for v in values:
            cells = []
            for s in sets:
                r = _run(s, ["hybrid+filters"], args.work, **{setting: v})
                m = r.mode("hybrid+filters").summary
                cells += [f"{m[c]:.3f}" for c in ("hit@5", "MRR@10", "nDCG@10")]
            out.append(f"| {setting} | {v} | " + " | ".join(cells) + " |")
            print(out[-1], file=sys.stderr)
    out += ["", "The refusal threshold and where an answer stops are fitted with the answer model "
            "(scripts/fit_answer_model.py, the \"Answer model\" section).", ""]
    text = "\n".join(out) + "\n"
    print(text)
    if args.out:
        doc = args.out.read_text()
        block = f"<!-- sweep -->\n{text}<!-- /sweep -->"
        if "<!-- sweep -->" in doc:
            doc = re.sub(r"<!-- sweep -->.*?<!-- /sweep -->", lambda _: block, doc, flags=re.S)
        else:
            doc = doc.rstrip() + "\n\n" + block + "\n"
        args.out.write_text(doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
