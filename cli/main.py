"""`hmiqa`: a thin command line over `Assistant`."""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import time
import sys
from pathlib import Path

from assistant.vocabulary import (ANSWER_MODES, BRIEF_FORMATS, FINDING_KINDS, PROGRAMMES, PUBLICATION_KINDS,
                                  RETRIEVER_NAMES, SUPPORTED, brief_file_name)


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", default=None,
                   help="index directory (env HMIQA_INDEX, default ./var/index)")


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="append", default=[], metavar="F",
                   help="only this force (repeatable; short names such as 'Cambs' work; overrides the question)")
    p.add_argument("--from", dest="year_from", type=int, metavar="YEAR", help="only reports from this year on")
    p.add_argument("--to", dest="year_to", type=int, metavar="YEAR", help="only reports up to this year")
    p.add_argument("--programme", "--type", dest="programme", action="append", default=[], metavar="P",
                   choices=PROGRAMMES, help="only this inspection programme (repeatable): " + ", ".join(PROGRAMMES))
    p.add_argument("--kind", dest="kind", action="append", default=[], metavar="K", choices=PUBLICATION_KINDS,
                   help="only this kind of publication (repeatable): " + ", ".join(PUBLICATION_KINDS))


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hmiqa", description="Search and question HMIC/HMICFRS inspection reports.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add report files or folders to the index")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (" + " ".join(sorted(SUPPORTED)) + ")")
    p.add_argument("--prune", action="store_true", help="drop indexed documents whose files are gone")
    p.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    _index_arg(p)

    p = sub.add_parser("search", help="find the passages that best match a question")
    p.add_argument("question", help="what to look for, in plain words")
    p.add_argument("--k", type=int, default=None, help="how many passages (default 8)")
    _filter_args(p)
    p.add_argument("--retriever", choices=RETRIEVER_NAMES, default=None,
                   help="retrieval method (default: the retriever setting, hybrid)")
    p.add_argument("--json", action="store_true", help="print passages as JSON")
    _index_arg(p)

    for name, help_ in (("ask", "answer a question with cited sentences from the reports"),
                        ("chat", "a conversation in the terminal; follow-ups use earlier turns")):
        p = sub.add_parser(name, help=help_)
        if name == "ask":
            p.add_argument("question", help="the question, in plain words")
            p.add_argument("--json", action="store_true", help="print the answer record as JSON")
        _filter_args(p)
        p.add_argument("--mode", default=ANSWER_MODES[0], choices=ANSWER_MODES,
                       help="extractive: verbatim cited sentences, no LLM; llm: the configured LLM "
                            "(HMIQA_LLM_*) writes from numbered passages, citations checked")
        _index_arg(p)

    p = sub.add_parser("docs", help="list indexed documents with their inferred metadata")
    p.add_argument("--json", action="store_true", help="print documents as JSON (without their text)")
    _index_arg(p)

    p = sub.add_parser("brief", help="fieldwork brief for a force: grades, recommendations and areas for "
                                     "improvement with what became of them, lines of enquiry; all cited")
    p.add_argument("--force", required=True, metavar="F", help="the force, e.g. Cambridgeshire (or 'Cambs')")
    p.add_argument("--theme", action="append", default=[], metavar="T",
                   help="only findings on this theme (repeatable; part of a name works, e.g. 'vetting', 'gifts')")
    p.add_argument("--since", type=int, default=None, metavar="YEAR", help="only findings made in or after YEAR")
    p.add_argument("--format", default="md", choices=BRIEF_FORMATS,
                   help="md (default) and json print; docx writes a Word file (see --out)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="write here instead of printing (docx default: brief-<force>.docx)")
    _index_arg(p)

    p = sub.add_parser("findings", help="list the recommendations, areas for improvement, causes of concern, "
                                        "grades and force responses extracted from the reports")
    p.add_argument("--force", default=None, metavar="F", help="only findings about this force")
    p.add_argument("--kind", action="append", default=[], metavar="K",
                   choices=FINDING_KINDS,
                   help="only this kind (repeatable)")
    p.add_argument("--theme", action="append", default=[], metavar="T", help="only this theme (repeatable)")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    _index_arg(p)

    p = sub.add_parser("stats", help="size and contents of the index")
    p.add_argument("--json", action="store_true", help="print as JSON")
    _index_arg(p)

    p = sub.add_parser("eval", help="score retrieval and answer modes on a dataset of questions with evidence")
    p.add_argument("--dataset", type=Path, default=None, metavar="FILE",
                   help="JSONL questions with relevant quotes (format: eval/README.md; default the seed set "
                        "shipped with hmiqa)")
    p.add_argument("--corpus", type=Path, default=None, metavar="DIR",
                   help="report files the dataset's quotes come from (default: the seed reports, data/reports "
                        "in a checkout, shipped inside the package otherwise)")
    p.add_argument("--modes", default=None, metavar="M,M",
                   help="comma-separated: baseline, bm25, dense, hybrid, hybrid+filters, extractive, llm "
                        "(default: all but llm, plus llm when an LLM is configured)")
    p.add_argument("--json", dest="json_out", type=Path, default=None, metavar="OUT",
                   help="also write the full results (every metric, every miss) as JSON here")
    p.add_argument("--results", type=Path, default=None, metavar="MD",
                   help="write the Markdown report here (default eval/RESULTS.md for the seed set; "
                        "'-' writes none)")
    p.add_argument("--floors", type=Path, default=None, metavar="FILE",
                   help="JSON {mode: {metric: minimum}}; exit 1 when a metric falls under its floor")
    p.add_argument("--findings", type=Path, default=None, metavar="FILE",
                   help="hand-labelled findings to score the extraction against (format: eval/findings.py; "
                        "default eval/datasets/findings_seed.jsonl with the seed set; '-' for none)")
    p.add_argument("--figures-only", action="store_true",
                   help="leave every question, quote and passage out of the Markdown report (for a set such as "
                        "../shared/realdev whose text must stay where it is); --json still has them")
    p.add_argument("--metadata", type=Path, default=None, metavar="FILE",
                   help="labelled documents to score the inferred metadata against (format: eval/metadata.py, as "
                        "../shared/realdev/docs.jsonl; default eval/datasets/metadata_seed.jsonl with the seed set; "
                        "'-' for none)")
    p.add_argument("--eval-index", type=Path, default=None, metavar="DIR",
                   help="where to build the evaluation index (default: var/eval-index/<corpus>-<key>, reused)")
    p.add_argument("--answer-model-folds", type=Path, default=None, metavar="FILE",
                   help="answer each question by the cross-validation fold's model that did not see its "
                        "publication (the folds scripts/fit_answer_model.py writes): out-of-fold figures")
    _index_arg(p)

    p = sub.add_parser("serve", help="serve the REST API (docs/API.md)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; another address needs API keys: HMIQA_API_KEYS, "
                        "HMIQA_ADMIN_KEYS)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (each loads the model; share one index through a Chroma server)")
    _index_arg(p)

    p = sub.add_parser("ui", help="serve the browser app on 127.0.0.1")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    _index_arg(p)
    return ap


def main(argv: list[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `hmiqa search … | head` ends quietly
    args = _parser().parse_args(argv)
    from assistant import Assistant, HmiqaError  # heavy imports after argument errors are reported

    if args.command == "ui":
        return _ui(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "serve":
        return _serve(args)
    try:
        assistant = Assistant.open(args.index)
        return COMMANDS[args.command](assistant, args)
    except HmiqaError as e:
        print(f"hmiqa: {e}", file=sys.stderr)
        return 2


def _ingest(assistant, args) -> int:
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, disable=args.json)
    counts = {"added": 0, "replaced": 0, "unchanged": 0, "failed": 0, "duplicate": 0}

    def progress(i, n, path, status):
        bar.total = n
        counts[status] = counts.get(status, 0) + 1
        bar.set_postfix({k: v for k, v in counts.items() if v}, refresh=False)
        bar.update(1)

    def waiting() -> None:
        holder = assistant.index_writer()
        print(f"another ingest is running on this index{f' (process {holder})' if holder else ''}; waiting "
              "for it to finish", file=sys.stderr, flush=True)

    assistant.on_writer_wait = waiting
    report = assistant.ingest(args.paths, prune=args.prune, progress=progress)
    bar.close()
    t = time.perf_counter()
    assistant.wait()  # the sentence vectors, stored after the documents became searchable
    if report.changed:
        report.seconds["sentences"] = round(time.perf_counter() - t, 3)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"{len(report.added)} added, {len(report.replaced)} replaced, {len(report.skipped)} unchanged, "
              f"{len(report.pruned)} pruned, {len(report.failed)} failed; {report.chunks_added} chunks written")
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for f in report.failed:
            print(f"failed: {f.path}: {f.reason}", file=sys.stderr)
        if report.repaired:
            print(f"repaired {len(report.repaired)} half-written document(s) from an interrupted run",
                  file=sys.stderr)
        for source, fields in report.metadata_repaired.items():
            print(f"repaired: {source}: stored {', '.join(fields)} no field takes (from an unchecked sidecar) "
                  "now unknown; fix its sidecar and ingest again to set it", file=sys.stderr)
        if report.upgraded:
            print(f"stored chunk vectors for {report.upgraded} document(s) indexed by an older hmiqa (their "
                  "filtered searches are now as fast as new ones)", file=sys.stderr)
        if report.changed and report.seconds:
            spent = sorted(report.seconds.items(), key=lambda kv: -kv[1])
            searchable = f"searchable after {report.searchable_after:.1f} s; " if report.searchable_after else ""
            print(f"time: {searchable}" + ", ".join(f"{stage} {s:.1f} s" for stage, s in spent), file=sys.stderr)
    return 0 if report.ok else 1


def _search(assistant, args) -> int:
    filters = assistant.filters(forces=args.force, year_from=args.year_from, year_to=args.year_to,
                                programmes=args.programme, kinds=args.kind)
    passages = assistant.search(args.question, k=args.k, filters=filters, retriever=args.retriever)
    if args.json:
        print(json.dumps({"question": args.question, "filters": filters.to_dict(),
                          "passages": [p.to_dict() for p in passages]}, indent=2, ensure_ascii=False))
        return 0
    if not passages:
        print("No passages match." + ("" if filters.is_empty() else " Try fewer filters."))
    for p in passages:
        page = f", p. {p.page_start}" if p.page_start else ""
        print(f"[{p.rank}] {p.title} · {', '.join(p.forces)} · {p.year}{page}\n    § {p.section}")
        text = p.text if len(p.text) < 400 else p.text[:400] + "…"
        print("    " + text.replace("\n\n", "\n").replace("\n", "\n    ") + "\n")
    return 0


def _caller_filters(assistant, args):
    if not (args.force or args.year_from or args.year_to or args.programme or args.kind):
        return None
    return assistant.filters(forces=args.force, year_from=args.year_from, year_to=args.year_to,
                             programmes=args.programme, kinds=args.kind)


def _print_answer(answer) -> None:
    print(answer.answer)
    if answer.citations:
        print("\nSources:")
    for c in answer.citations:
        page = f", p. {c.page}" if c.page else ""
        print(f"[{c.n}] {c.title} · {c.force} · {c.year}{page} · § {c.section}")
    if answer.closest:
        print("\nClosest passages (not an answer):")
    for c in answer.closest:
        page = f", p. {c.page}" if c.page else ""
        print(f"- “{c.quote}”\n  {c.title} · {c.force} · {c.year}{page} · § {c.section}")
    for notice in answer.notices:
        print(f"note: {notice}", file=sys.stderr)


def _ask(assistant, args) -> int:
    answer = assistant.ask(args.question, filters=_caller_filters(assistant, args), mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0


def _chat(assistant, args) -> int:
    from assistant import HmiqaError

    history: list[str] = []
    print("Ask about the inspection reports; follow-ups such as 'and Hampshire?' use earlier turns. "
          "Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = assistant.ask(question, filters=_caller_filters(assistant, args), history=history,
                                   mode=args.mode)
        except HmiqaError as e:
            print(f"hmiqa: {e}")
            continue
        print()
        _print_answer(answer)
        history.append(question)


def _docs(assistant, args) -> int:
    docs = assistant.documents()
    if args.json:
        print(json.dumps([d.to_dict(with_text=False) for d in docs], indent=2, ensure_ascii=False))
        return 0
    if not docs:
        print("The index is empty. Add reports with: hmiqa ingest data/reports")
    for d in docs:
        print(f"{d.doc_id}  {', '.join(d.forces) or '-':<16} {d.year or '????'}  {d.programme or '?':<30} "
              f"{d.kind or '?':<20} {d.n_chunks:>4} chunks  {d.title}")
    return 0


def _brief(assistant, args) -> int:
    from assistant.brief import to_docx, to_markdown

    brief = assistant.brief(args.force, themes=args.theme, since=args.since)
    if args.format == "docx":
        out = args.out or Path(brief_file_name(brief.force, "docx"))
        out.write_bytes(to_docx(brief))
        print(f"hmiqa: wrote {out} ({len(brief.items)} findings, {len(brief.citations)} citations)", file=sys.stderr)
        return 0
    text = json.dumps(brief.to_dict(), indent=2, ensure_ascii=False) if args.format == "json" else to_markdown(brief)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"hmiqa: wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


def _findings(assistant, args) -> int:
    found = assistant.findings(force=args.force, kinds=args.kind or None, themes=args.theme)
    if args.json:
        print(json.dumps([f.to_dict() for f in found], indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No findings match. `hmiqa docs` lists the indexed reports.")
    for f in found:
        grade = f" {f.grade}" if f.grade else ""
        print(f"{f.year or '????'}  {', '.join(f.forces) or '?':<16} {f.kind:<20}{grade:<10} {f.theme:<28} "
              f"{' '.join(f.text.split())[:100]}")
    return 0


def _stats(assistant, args) -> int:
    stats = assistant.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for k, v in stats.items():
            print(f"{k:>16}: {v}")
    return 0


def _eval(args) -> int:
    from assistant import HmiqaError
    from assistant.settings import Settings, SettingsError
    from eval import runner
    from eval.dataset import DatasetError

    shipped = Path(runner.__file__).resolve().parent  # eval/: its datasets ship with the package
    checkout = shipped.parent / "pyproject.toml"  # a source checkout, not an installed package
    seed_set = shipped / "datasets" / "seed.jsonl"
    dataset = args.dataset or seed_set
    corpus = args.corpus or (shipped.parent / "data" / "reports" if checkout.exists() else shipped / "seed_reports")
    seed = args.corpus is None and dataset.resolve() == seed_set
    # the seed run rewrites eval/RESULTS.md in a checkout; an installed package is not written into
    results = args.results if args.results is not None else (
        shipped / "RESULTS.md" if seed and checkout.exists() else None)
    try:
        settings = Settings.load(index=args.index)
        modes = runner.parse_modes(args.modes, settings.llm_provider != "none")
        floors = runner.load_floors(args.floors) if args.floors else None
        labelled = args.findings or (shipped / "datasets" / "findings_seed.jsonl" if seed else None)
        if labelled is not None and str(labelled) == "-":
            labelled = None
        described = args.metadata or (shipped / "datasets" / "metadata_seed.jsonl" if seed else None)
        if described is not None and str(described) == "-":
            described = None
        result = runner.run(dataset, corpus, modes, index_dir=args.eval_index, index=args.index,
                            findings=labelled, metadata=described, answer_model_folds=args.answer_model_folds,
                            progress=lambda msg: print(f"hmiqa eval: {msg}", file=sys.stderr))
    except (runner.EvalError, DatasetError, SettingsError, HmiqaError) as e:
        print(f"hmiqa eval: {e}", file=sys.stderr)
        return 2
    text = runner.to_markdown(result, misses=not args.figures_only)
    print(text)
    if results and str(results) != "-":
        old = results.read_text() if results.exists() else ""
        for kept in ("sweep", "answer-model"):  # the sections scripts/sweep.py and fit_answer_model.py write
            if (m := re.search(rf"<!-- {kept} -->.*?<!-- /{kept} -->", old, re.S)):
                text = text.rstrip() + "\n\n" + m.group(0) + "\n"
        results.write_text(text)
        print(f"hmiqa eval: wrote {results}", file=sys.stderr)
    if args.json_out:
        args.json_out.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        print(f"hmiqa eval: wrote {args.json_out}", file=sys.stderr)
    if floors is not None:
        failures = runner.check_floors(result, floors)
        for f in failures:
            print(f"hmiqa eval: FLOOR {f}", file=sys.stderr)
        if failures:
            return 1
        print(f"hmiqa eval: every metric is at or above its floor in {args.floors}", file=sys.stderr)
    return 0


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _serve(args) -> int:
    from assistant.settings import Settings, SettingsError

    try:
        settings = Settings.load(index=args.index)
    except SettingsError as e:
        print(f"hmiqa: {e}", file=sys.stderr)
        return 2
    keyed = bool(settings.keys("api_keys") or settings.keys("admin_keys"))
    if not keyed and args.host not in LOOPBACK:
        print(f"hmiqa serve: refusing to bind {args.host} without API keys: anyone who can reach it could read "
              "and delete documents. Set HMIQA_API_KEYS (read) and HMIQA_ADMIN_KEYS (admin), or bind 127.0.0.1.",
              file=sys.stderr)
        return 2
    if not keyed:
        print("hmiqa serve: no API keys configured, so the API binds 127.0.0.1 only and needs no key.",
              file=sys.stderr)
    if args.index:
        os.environ["HMIQA_INDEX"] = args.index
    import uvicorn
    print(f"hmiqa serve: http://{args.host}:{args.port}/docs", file=sys.stderr)
    uvicorn.run("api.main:app", host=args.host, port=args.port, workers=args.workers, log_level="warning",
                server_header=False)
    return 0


def _ui(args) -> int:
    env = dict(os.environ)
    if args.index:
        env["HMIQA_INDEX"] = args.index
    from assistant.settings import Settings, SettingsError

    try:
        max_mb = Settings.load(index=args.index).max_upload_mb
    except SettingsError as e:
        print(f"hmiqa: {e}", file=sys.stderr)
        return 2
    app = Path(__file__).resolve().parent.parent / "app.py"
    # 127.0.0.1: without an address Streamlit calls out to detect its public IP
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", "127.0.0.1",
           "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
           "--server.headless", "true", "--client.toolbarMode", "viewer",
           "--server.maxUploadSize", str(max_mb)]
    # become the Streamlit server (not its parent): a stop signal then reaches the server itself, and no
    # orphaned server is left running when `hmiqa ui` is terminated
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


COMMANDS = {"ingest": _ingest, "search": _search, "ask": _ask, "chat": _chat, "docs": _docs, "stats": _stats,
            "brief": _brief, "findings": _findings}

if __name__ == "__main__":
    sys.exit(main())
