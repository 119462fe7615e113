"""`hmiqa eval`: score every retrieval and answer mode on a dataset, in one run, on one index.

Retrieval modes are scored on the answerable questions (top 10); answer modes on all of them.
The index of the corpus lives in its own directory (keyed by the corpus path, model and chunk
size) and is reused: ingest is idempotent, so a second run only re-reads what changed.
"""
from __future__ import annotations

import hashlib
import json
import platform
import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from assistant.vocabulary import ANSWER_MODES

from .dataset import Item, load
from .metrics import (AnswerScore, FilterCheck, Hit, RetrievalScore, best_threshold, by_kind, score_answer,
                      score_retrieval, summarise_answers, summarise_retrieval)

RETRIEVAL_MODES = ("baseline", "fusion-baseline", "bm25", "dense", "hybrid", "hybrid+filters")
BASELINES = ("baseline", "fusion-baseline")
MODES = RETRIEVAL_MODES + ANSWER_MODES
DEFAULT_MODE = "hybrid+filters"  # what `ask`, the app and the API retrieve with
TOP_K = 10
RETRIEVAL_COLUMNS = ("doc hit@1", "hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "recall@10", "MRR@10", "nDCG@10")
ANSWER_COLUMNS = ("lead", "quote_precision", "answer_recall", "citation_support", "answered", "refused_shown", "refusal_precision",
                  "refusal_recall", "inexact_quotes")


class EvalError(ValueError):
    """A run that cannot start (unknown mode, LLM not configured, empty corpus); says how to fix it."""


@dataclass
class ModeResult:
    name: str
    kind: str  # retrieval | answer
    summary: dict[str, float]
    by_kind: dict[str, dict]
    misses: list[dict]
    ms_per_question: float


@dataclass
class EvalRun:
    dataset: str
    corpus: str
    index: str
    config: dict
    questions: int
    answerable: int
    modes: list[ModeResult] = field(default_factory=list)
    filters: dict = field(default_factory=dict)
    evidence: list = field(default_factory=list)  # (evidence score, answerable) per question, extractive mode
    run_date: str = field(default_factory=lambda: date.today().isoformat())

    def mode(self, name: str) -> ModeResult | None:
        return next((m for m in self.modes if m.name == name), None)

    def to_dict(self) -> dict:
        from dataclasses import asdict
        return asdict(self)


def parse_modes(text: str | None, llm_configured: bool) -> list[str]:
    if not text:
        return list(RETRIEVAL_MODES) + ["extractive"] + (["llm"] if llm_configured else [])
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise EvalError(f"unknown mode(s) {', '.join(unknown)}; choose from: {', '.join(MODES)}")
    if "llm" in modes and not llm_configured:
        raise EvalError("mode 'llm' needs an LLM endpoint: set HMIQA_LLM_PROVIDER, HMIQA_LLM_BASE_URL and "
                        "HMIQA_LLM_MODEL (see the README), or leave 'llm' out of --modes")
    return modes


def index_dir_for(corpus: Path, settings) -> Path:
    key = hashlib.sha256(f"{corpus.resolve()}|{settings.embedding_model}|{settings.chunk_tokens}".encode())
    return Path(settings.index).resolve().parent / "eval-index" / f"{corpus.resolve().name}-{key.hexdigest()[:10]}"


def _short(text: str, n: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"


def run(dataset: Path, corpus: Path, modes: list[str] | None = None, index_dir: Path | None = None,
        progress: Callable[[str], None] = lambda msg: None, findings: Path | None = None,
        metadata: Path | None = None, answer_model_folds: Path | None = None, **overrides) -> EvalRun:
    """`overrides` are settings (e.g. index=… to place the evaluation index beside that one);
    `findings` a hand-labelled list the findings extraction is scored against (eval/findings.py);
    `metadata` labelled documents the inferred metadata is scored against (eval/metadata.py);
    `answer_model_folds` the cross-validation folds scripts/fit_answer_model.py wrote: each question is
    answered by the model of the fold that held its publication out, so the figures are out of fold."""
    from assistant import Assistant
    from assistant.settings import Settings

    corpus = Path(corpus)
    if not corpus.is_dir():
        raise EvalError(f"corpus {corpus} is not a folder; pass --corpus DIR holding the report files")
    items = load(dataset, corpus)
    doc_labels = None
    if metadata is not None:
        from .metadata import load_labels as load_doc_labels
        doc_labels = load_doc_labels(metadata, corpus)
    labels = None
    if findings is not None:
        from .findings import load_labels
        labels = load_labels(findings, corpus)
    settings = Settings.load(**overrides)
    fold_of = load_folds(answer_model_folds) if answer_model_folds else None
    modes = modes or parse_modes(None, settings.llm_provider != "none")
    index_dir = Path(index_dir) if index_dir else index_dir_for(corpus, settings)
    progress(f"indexing {corpus} into {index_dir}")
    assistant = Assistant.open(index_dir, **{k: v for k, v in overrides.items() if k != "index"})
    report = assistant.ingest([corpus], prune=True)
    assistant.wait()  # sentence vectors stored: the answers' timings are of a settled index
    if not assistant.documents():
        raise EvalError(f"nothing in {corpus} could be indexed: {[f.reason for f in report.failed]}")
    root = corpus.resolve()
    files = {d.doc_id: _relative(d.source, root) for d in assistant.documents()}
    chunks = assistant.index.chunk_map()
    answerable = [i for i in items if i.answerable]
    result = EvalRun(dataset=str(dataset), corpus=str(corpus), index=str(index_dir),
                     config={"embedding_model": settings.embedding_model, "chunk_tokens": settings.chunk_tokens,
                             "fusion": settings.fusion, "alpha": settings.alpha, "rrf_k": settings.rrf_k,
                             "refuse_below": settings.refuse_below, "caution_below": settings.caution_below, "top_k": TOP_K,
                             "answer_model": (f"{settings.answer_model}, out of fold ({answer_model_folds.name})"
                                              if fold_of is not None else settings.answer_model),
                             "documents": len(files), "chunks": len(chunks),
                             "machine": f"{platform.machine()}, Python {platform.python_version()}"},
                     questions=len(items), answerable=len(answerable))

    def passages_to_hits(passages) -> list[Hit]:
        return [Hit(rank=i + 1, text=p.text, file=files.get(p.doc_id, ""), section=p.section)
                for i, p in enumerate(passages[:TOP_K])]

    for mode in modes:
        progress(f"mode {mode}")
        t0 = time.perf_counter()
        if mode in RETRIEVAL_MODES:
            if mode in BASELINES:
                from .baseline import Baseline, FusionBaseline
                base = (Baseline if mode == "baseline" else FusionBaseline)(corpus, settings.embedding_model)
                result.config[f"{mode}_chunks"] = base.n_chunks
                t0 = time.perf_counter()  # time the questions, not the index build
                search = lambda item, b=base: b.search(item.question, TOP_K)  # noqa: E731
            elif mode == "hybrid+filters":
                checks: list[FilterCheck] = []

                def search(item: Item, checks=checks) -> list[Hit]:
                    r = assistant.retrieve(item.question, history=item.history, k=TOP_K)
                    if item.forces or item.year_from or item.year_to:  # what the question was understood to ask
                        checks.append(FilterCheck(item, r.query.forces, r.query.year_from, r.query.year_to))
                    return passages_to_hits(r.passages)
            else:
                search = lambda item, m=mode: passages_to_hits(  # noqa: E731
                    assistant.search(item.question, k=TOP_K, retriever=m))
            scores = [score_retrieval(i, search(i)) for i in answerable]
            if mode == "hybrid+filters":
                for i in items:  # unanswerable questions name forces and years too
                    if not i.answerable and (i.forces or i.year_from or i.year_to):
                        r = assistant.retrieve(i.question, history=i.history, k=1)
                        checks.append(FilterCheck(i, r.query.forces, r.query.year_from, r.query.year_to))
                result.filters = _filter_summary(checks)
            ms = (time.perf_counter() - t0) * 1000 / max(1, len(answerable))
            result.modes.append(ModeResult(mode, "retrieval", summarise_retrieval(scores),
                                           by_kind(scores, summarise_retrieval),
                                           _retrieval_misses(scores, texts=mode not in BASELINES), ms))
        else:
            times, answer_scores = [], []
            for i in items:
                if fold_of is not None:
                    assistant.use_answer_model(fold_of(i))
                t = time.perf_counter()
                answer = assistant.ask(i.question, history=i.history, mode=mode)
                times.append((time.perf_counter() - t) * 1000)
                answer_scores.append(score_answer(i, answer, lambda cid: chunks[cid].text,
                                                  lambda did: files.get(did, "")))
            if mode == "extractive":
                result.evidence = [(s.evidence, s.item.answerable) for s in answer_scores]
            summary = summarise_answers(answer_scores)
            if (fit := best_threshold(answer_scores)) is not None:
                summary["fitted_refuse_below"], summary["fitted_accuracy"] = fit
            result.modes.append(ModeResult(mode, "answer", summary,
                                           by_kind(answer_scores, summarise_answers),
                                           _answer_misses(answer_scores), statistics.median(times)))
    if labels is not None:
        from .findings import score as score_findings
        progress("findings extraction")
        t0 = time.perf_counter()
        found = [(files.get(f.doc_id, ""), f) for f in assistant.findings()]
        summary, kinds, misses = score_findings(labels, found)
        result.modes.append(ModeResult("findings", "findings", summary, kinds, misses,
                                       (time.perf_counter() - t0) * 1000))
    if doc_labels is not None:
        from .metadata import score as score_metadata
        progress("metadata")
        t0 = time.perf_counter()
        by_file = {files[d.doc_id]: d for d in assistant.documents()}
        summary, fields, misses = score_metadata(doc_labels, by_file)
        result.modes.append(ModeResult("metadata", "metadata", summary, fields, misses,
                                       (time.perf_counter() - t0) * 1000))
    assistant.close()
    return result


def load_folds(path: Path) -> Callable[[Item], object]:
    """For a question, the model of the fold that held its publication out (the fit groups an
    unanswerable question by its id); a question in no fold is an error: the folds are of another set."""
    from assistant.answer_model import AnswerModel

    try:
        folds = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(folds, list) or not folds:
            raise ValueError("not a list of folds")
        by_group = {g: AnswerModel.from_dict(f["model"], str(path)) for f in folds for g in f["held_out"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EvalError(f"cannot read the answer model's folds {path} ({e}); write them with "
                        "scripts/fit_answer_model.py") from None

    def fold_of(item: Item):
        group = item.relevant[0].file if item.relevant else f"unanswerable:{item.id}"
        if group not in by_group:
            raise EvalError(f"question {item.id} is in none of the folds in {path}: they were fitted on another set")
        return by_group[group]
    return fold_of


def _relative(source: str, root: Path) -> str:
    try:
        return Path(source).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(source).name


def _filter_summary(checks: list[FilterCheck]) -> dict:
    wrong = [{"id": c.item.id, "question": c.item.question,
              "expected": {"forces": c.item.forces, "year_from": c.item.year_from, "year_to": c.item.year_to},
              "inferred": {"forces": c.forces, "year_from": c.year_from, "year_to": c.year_to}}
             for c in checks if not c.ok]
    n = len(checks)
    return {"checked": n, "match": (n - len(wrong)) / n if n else None,
            "covers": sum(c.covers for c in checks) / n if n else None, "mismatches": wrong}


def _retrieval_misses(scores: list[RetrievalScore], texts: bool = True) -> list[dict]:
    """The questions whose evidence was not in the top 5, with the first two passages found instead.
    The baseline's passages are its own splits of the raw files, web furniture and all, so only their
    files are named (`texts` False): the report then quotes no page as published."""
    return [{"id": s.item.id, "kind": s.item.kind, "question": s.item.question,
             "first_relevant_rank": s.first,
             "got": [f"{h.file} § {_short(h.section, 50)}: {_short(h.text, 90)}" if texts else h.file
                     for h in s.hits[:2]]}
            for s in scores if not (s.first and s.first <= 5)]


def _answer_misses(scores: list[AnswerScore]) -> list[dict]:
    out = []
    for s in scores:
        if s.item.answerable and not s.cites_relevant:
            got = "refused" if s.refused else f"cited: {_short(s.first_quote, 110)}"
        elif not s.item.answerable and not s.refused:
            got = f"answered, citing: {_short(s.first_quote, 110)}"
        else:
            continue
        out.append({"id": s.item.id, "kind": s.item.kind, "question": s.item.question, "got": got,
                    "caution": s.cautioned})
    return out


# --- reporting ---------------------------------------------------------------------------------

def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def to_markdown(r: EvalRun, misses: bool = True) -> str:
    """The report; `misses=False` leaves out every question, quote and passage (figures only), for
    a dataset whose text must not be copied where the report is kept."""
    retrieval = [m for m in r.modes if m.kind == "retrieval"]
    answers = [m for m in r.modes if m.kind == "answer"]
    cfg = r.config
    out = ["# Evaluation results", "",
           f"Run {r.run_date} by `hmiqa eval --dataset {r.dataset}` on {cfg['machine']}. Corpus `{r.corpus}`: "
           f"{cfg['documents']} documents, {cfg['chunks']} chunks of at most {cfg['chunk_tokens']} tokens; "
           f"embedding model {cfg['embedding_model']}; fusion {cfg['fusion']} (α={cfg['alpha']}); "
           f"refuse below {cfg['refuse_below']}. {r.questions} questions, {r.answerable} answerable. "
           "A passage is relevant when it holds at least half of a relevant quote from the same file "
           "(words compared, layout ignored), so the figures do not depend on chunk ids.", ""]
    if retrieval:
        base = r.mode("baseline")
        out += ["## Retrieval (answerable questions, top 10)", "",
                "| mode | " + " | ".join(RETRIEVAL_COLUMNS) + " | ms/question |",
                "|---|" + "---:|" * (len(RETRIEVAL_COLUMNS) + 1)]
        for m in retrieval:
            label = f"**{m.name}** (default)" if m.name == DEFAULT_MODE else m.name
            out.append(f"| {label} | " + " | ".join(_fmt(m.summary.get(c)) for c in RETRIEVAL_COLUMNS)
                       + f" | {m.ms_per_question:.0f} |")
        if base:
            out += ["", f"`baseline` is the llama-index starter pipeline: SimpleDirectoryReader, SentenceSplitter "
                        f"chunks of 1024 tokens ({cfg.get('baseline_chunks', '?')} chunks), an in-memory "
                        "VectorStoreIndex, the same embedding model and top-k."]
        if r.mode("fusion-baseline"):
            out += ["", "`fusion-baseline` is the generic hybrid stack: SentenceSplitter chunks of 512 tokens "
                        f"({cfg.get('fusion-baseline_chunks', '?')} chunks), llama-index's QueryFusionRetriever over "
                        "BM25 (bm25s, English stemmer) and the vector retriever, reciprocal rank fusion, no query "
                        "rewriting. `doc hit@1`: the first passage is from a labelled file (a large chunk of a short "
                        "publication is the whole document, which flatters passage figures)."]
        default = r.mode(DEFAULT_MODE)
        for b in (m for m in (base, r.mode("fusion-baseline")) if m and default):
            gains = ", ".join(f"{c} {default.summary[c] - b.summary[c]:+.3f}" for c in ("hit@1", "MRR@10", "nDCG@10"))
            out.append(f"The default mode `{DEFAULT_MODE}` against `{b.name}` in this run: {gains}.")
        for metric in ("hit@5", "MRR@10"):
            kinds = sorted({k for m in retrieval for k in m.by_kind})
            out += ["", f"### {metric} by kind", "", "| kind | n | " + " | ".join(m.name for m in retrieval) + " |",
                    "|---|---:|" + "---:|" * len(retrieval)]
            for k in kinds:
                n = next((m.by_kind[k]["n"] for m in retrieval if k in m.by_kind), 0)
                out.append(f"| {k} | {n} | " + " | ".join(_fmt(m.by_kind.get(k, {}).get(metric)) for m in retrieval) + " |")
    if r.filters:
        f = r.filters
        out += ["", "## Query understanding", "",
                f"Of the {f['checked']} questions the dataset labels with a force or years, the forces and years "
                f"understood from the question match the labels exactly on **{_fmt(f['match'])}**, and cover them "
                f"(the labelled forces, and a range of publication years holding the labelled ones) on "
                f"**{_fmt(f.get('covers'))}**. Forces are scored where the dataset names them. Understood years are "
                "preferences, never filters: they raise the reports that meet them."]
        for w in f["mismatches"] if misses else []:
            out.append(f"- {w['id']} “{w['question']}”: expected {w['expected']}, inferred {w['inferred']}")
    if answers:
        out += ["", "## Answers (all questions)", "",
                "Lead: share of answerable questions whose answer's first quoted sentence is a labelled quote (is, "
                "contains or is contained in one; a refusal has none). Quote precision: share of the sentences "
                "answers to answerable questions quote that are labelled quotes. "
                "Answer recall: share of answerable questions whose answer cites a relevant quote. Citation "
                "support: share of cited sentences whose passage holds relevant evidence. Refused shown: of the "
                "answerable questions refused, the share whose closest passages (listed with a refusal, not as an "
                "answer) quote relevant evidence. Refusal precision and recall: on the unanswerable questions. "
                "Inexact quotes: citations and closest passages, over all questions, whose quote is not an exact "
                "substring of the passage cited.", "",
                "| mode | " + " | ".join(ANSWER_COLUMNS) + " | median ms |", "|---|" + "---:|" * (len(ANSWER_COLUMNS) + 1)]
        for m in answers:
            out.append(f"| {m.name} | " + " | ".join(_fmt(m.summary.get(c)) for c in ANSWER_COLUMNS)
                       + f" | {m.ms_per_question:.0f} |")
        for m in answers:
            if "fitted_refuse_below" in m.summary:
                out.append(f"\n`{m.name}`: answer model {cfg.get('answer_model', '?')}; refusing below "
                           f"{cfg['refuse_below']} and cautioning below {cfg['caution_below']} (the settings in "
                           "force: the probability of the best sentence holding what is asked for). On this set "
                           f"the probability that best separates answerable from unanswerable questions is "
                           f"{m.summary['fitted_refuse_below']} (balanced accuracy {m.summary['fitted_accuracy']:.3f}); "
                           "fitted here, so a hint rather than a measured result.")
        for m in answers:
            by_kind_columns = ("lead", "quote_precision", "answer_recall", "answered", "citation_support",
                               "refusal_recall", "refusal_precision")
            out += ["", f"### {m.name} by kind", "", "| kind | n | " + " | ".join(by_kind_columns) + " |",
                    "|---|---:|" + "---:|" * len(by_kind_columns)]
            for k, s in m.by_kind.items():
                out.append(f"| {k} | {s['n']} | " + " | ".join(_fmt(s.get(c)) for c in by_kind_columns) + " |")
    if (fm := r.mode("findings")) is not None:
        out += ["", "## Findings extraction", "",
                "Recommendations, areas for improvement and graded judgments extracted at ingest, against a "
                "hand-labelled list (eval/findings.py has the matching rule). Precision: share of extracted "
                "findings that are labelled; recall: share of labelled findings extracted. On the seed set the "
                "extraction rules were written from the same five reports, so these are training figures: a "
                "held-out corpus with its own labels (`--corpus`, `--findings`) tells how the rules generalise.", "",
                "| kind | labelled | extracted | precision | recall |", "|---|---:|---:|---:|---:|"]
        for k, v in fm.by_kind.items():
            out.append(f"| {k} | {v['n']} | {v['extracted']} | {_fmt(v['precision'])} | {_fmt(v['recall'])} |")
        out.append(f"| **all** | | | {_fmt(fm.summary['precision'])} | {_fmt(fm.summary['recall'])} |")
        if fm.summary.get("year_accuracy") is not None:
            out += ["", f"The year each matched finding was made in (2012 for an area quoted from a 2012 report) is "
                        f"right for {_fmt(fm.summary['year_accuracy'])} of them."]
    if (mm := r.mode("metadata")) is not None:
        out += ["", "## Metadata", "",
                "What ingest inferred about each document, against labelled documents (eval/metadata.py has the "
                "rules): right, wrong, or unknown (no value given). Year: the label's publication year, or any "
                "year of its period when it has no date; documents labelled with neither are not scored for "
                "year. Published: agrees to the coarser precision; a date where the label has none is wrong.", "",
                "| field | scored | right | wrong | unknown |", "|---|---:|---:|---:|---:|"]
        for name, v in mm.by_kind.items():
            out.append(f"| {name} | {v['scored']} | {_fmt(v['right'])} | {_fmt(v['wrong'])} | {_fmt(v['unknown'])} |")
        out.append(f"\nTitles that are web furniture: {mm.summary['furniture_titles']} of "
                   f"{mm.summary['documents']} documents.")
    if misses:
        out += ["", "## Misses", "", "Retrieval: no relevant passage in the top 5 (the two first passages shown). "
                "Answers: no relevant quote cited, or an unanswerable question answered."]
        for m in r.modes:
            out += ["", f"### {m.name} ({len(m.misses)})", ""]
            if m.kind == "findings":
                out += [f"- {x['id']} ({x['kind']}) {x['question']}: “{x['got']}”" for x in m.misses]
                continue
            if m.kind == "metadata":
                out += [f"- {x['file']} {x['field']} {x['verdict']}: got {x['got']!r}, label {x['want']!r} "
                        f"({x['method'] or '-'})" for x in m.misses]
                continue
            for x in m.misses:
                got = x["got"] if isinstance(x["got"], str) else " | ".join(x["got"]) or "nothing"
                out.append(f"- {x['id']} ({x['kind']}) “{x['question']}” → {got}")
    return "\n".join(out) + "\n"


def check_floors(r: EvalRun, floors: dict) -> list[str]:
    """Floors are {mode: {metric: minimum}}; a metric named `<metric>_max` is a ceiling on `<metric>`
    (e.g. `year_unknown_max`). Returns one line per metric past its bound."""
    failures = []
    for mode, metrics in floors.items():
        if mode.startswith("_"):
            continue  # comments
        m = r.mode(mode)
        if m is None:
            failures.append(f"mode {mode} has floors but was not run; add it to --modes")
            continue
        for metric, floor in metrics.items():
            if metric.endswith("_max"):
                got = m.summary.get(metric[:-4])
                if got is None or got > floor:
                    failures.append(f"{mode} {metric[:-4]} = {_fmt(got)} is over its ceiling {floor}")
                continue
            got = m.summary.get(metric)
            if got is None or got < floor:
                failures.append(f"{mode} {metric} = {_fmt(got)} is under its floor {floor}")
    return failures


def load_floors(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise EvalError(f"cannot read floors from {path}: {e}") from None
