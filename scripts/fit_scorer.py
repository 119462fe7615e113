"""Would a learned sentence scorer lead with the answer more often than the hand-set one? A measurement,
not yet a shipped model (issue 26, scope 2).

For every question of a labelled set, the candidate sentences the extractive answer chooses from are
taken as the answer pipeline makes them, each described by features that transfer between corpora
(meaning match, shared concepts, the passage's retrieval score and rank, whether it holds what is
asked for, framing, boilerplate and lead-in shape, length, position) and labelled when it is, contains
or is contained in a labelled quote. A logistic regression is fitted with 5-fold cross-validation
grouped by publication (a question's labelled file; every question of a publication in one fold) on
realdev, and fitted on all of realdev to score the seeds, held out. Reported: the share of answerable
questions whose top candidate is a labelled quote, for the hand-set score and the model, and the
ceiling (a labelled quote among the candidates).

    python scripts/fit_scorer.py --realdev ../shared/realdev --work var/fit   # indexes built once, reused
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant import extractive  # noqa: E402
from eval.dataset import load  # noqa: E402
from eval.metrics import is_labelled  # noqa: E402
from ingest.boilerplate import key as shape_key  # noqa: E402

FEATURES = ("hand_score", "hand_evidence", "cosine", "concepts", "passage_score", "passage_rank", "dense",
            "bm25", "typed", "framing", "boilerplate", "lead_in", "log_length", "position")


def features(a: Assistant, item) -> tuple[list[list[float]], list[bool]]:
    """The candidates of one question, as the answer pipeline scores them, and their labels."""
    answering = a._answering  # a measurement script reads the pipeline's steps directly
    r = answering.retrieve(item.question, history=item.history)
    if not r.passages:
        return [], []
    cands = answering.scored(answering.widened(r, 8), r.query, item.question)
    if not cands:
        return [], []
    embed_query = a.index.embedder.embed_query
    q = embed_query(r.query.topic or item.question) + embed_query(item.question)
    q = q / np.linalg.norm(q)
    wanted = extractive.concepts(r.query.topic, item.question)
    top = max(c.passage.score for c in cands) or 1.0
    bm25_top = max(c.passage.scores.get("bm25", 0.0) for c in cands) or 1.0
    boiler = a.index.boilerplate()
    files = {d.doc_id: Path(d.source).name for d in a.documents()}
    chunks, ends = a.index.chunk_map(), {}
    rows, labels = [], []
    for c in cands:
        own = extractive.stems(c.text)
        doc_len = ends.setdefault(c.passage.doc_id, max(1, max((x.end for x in chunks.of_document(c.passage.doc_id)),
                                                              default=c.passage.end)))
        rows.append([c.score, c.evidence, float(np.dot(q, c.vector)),
                     sum(1 for k in wanted if k & own) / max(1, len(wanted)),
                     c.passage.score / top, 1.0 / c.passage.rank, c.passage.scores.get("dense", 0.0),
                     c.passage.scores.get("bm25", 0.0) / bm25_top, float(c.typed), float(extractive.framing(c.text)),
                     float(bool(boiler) and shape_key(c.text) in boiler),
                     float(bool(extractive.LEAD_IN_RE.search(c.text))), math.log(1 + len(c.text)),
                     c.start / doc_len])
        labels.append(is_labelled(c.text, files.get(c.passage.doc_id, ""), item.relevant))
    return rows, labels


def collect(index: Path, corpus: Path, dataset: Path) -> list[tuple[object, np.ndarray, np.ndarray]]:
    a = Assistant.open(index)
    try:
        if not a.documents():
            a.ingest([corpus])
            a.wait()
        out = []
        for item in load(dataset, corpus):
            if not item.answerable:
                continue
            rows, labels = features(a, item)
            out.append((item, np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(labels, dtype=bool)))
        return out
    finally:
        a.close()


def top1(questions, scores) -> float:
    """Share of questions whose best-scored candidate is labelled (none scored: not)."""
    hits = [bool(len(s)) and bool(y[int(np.argmax(s))]) for (_, _, y), s in zip(questions, scores, strict=True)]
    return sum(hits) / len(hits)


def fit(questions):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.vstack([x for _, x, _ in questions if len(x)])
    y = np.concatenate([lab for _, x, lab in questions if len(x)])
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")).fit(X, y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdev", type=Path, default=ROOT.parent / "shared" / "realdev")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "fit")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    from sklearn.model_selection import GroupKFold

    dev = collect(args.work / "realdev", args.realdev / "corpus", args.realdev / "questions.jsonl")
    seeds = collect(args.work / "seeds", ROOT / "data" / "reports", ROOT / "eval" / "datasets" / "seed.jsonl")
    groups = [item.relevant[0].file for item, _, _ in dev]  # a publication's questions stay in one fold
    model_scores: list[np.ndarray] = [np.zeros(0)] * len(dev)
    for train, test in GroupKFold(n_splits=args.folds).split(np.zeros(len(dev)), groups=groups):
        model = fit([dev[i] for i in train])
        for i in test:
            x = dev[i][1]
            model_scores[i] = model.predict_proba(x)[:, 1] if len(x) else np.zeros(0)
    final = fit(dev)
    seed_scores = [final.predict_proba(x)[:, 1] if len(x) else np.zeros(0) for _, x, _ in seeds]
    hand = 0  # the hand-set score is the first feature
    rows = [("realdev (5-fold CV grouped by publication)", dev, model_scores),
            ("seeds (held out; fitted on all of realdev)", seeds, seed_scores)]
    print("| set | questions | candidates | hand-set top 1 | model top 1 | labelled quote among candidates |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, qs, scores in rows:
        ceiling = sum(bool(lab.any()) for _, _, lab in qs) / len(qs)
        print(f"| {name} | {len(qs)} | {sum(len(x) for _, x, _ in qs)} | "
              f"{top1(qs, [x[:, hand] if len(x) else x for _, x, _ in qs]):.3f} | {top1(qs, scores):.3f} | {ceiling:.3f} |")
    coef = final[-1].coef_[0]
    print("\nweights (standardised features, fitted on all of realdev): "
          + ", ".join(f"{n} {w:+.2f}" for n, w in sorted(zip(FEATURES, coef, strict=True), key=lambda t: -abs(t[1]))))


if __name__ == "__main__":
    main()
