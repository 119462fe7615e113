"""The evaluation: dataset validation, relevance by evidence, the runner on the seeds (with the CI
floors) and on a corpus and questions it has never seen."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eval.dataset import DatasetError, Evidence, load
from eval.relevance import holds, share_held

from .conftest import ROOT, SEEDS

SEED_SET = ROOT / "eval" / "datasets" / "seed.jsonl"


def hmiqa(*args, timeout=1800):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_seed_set_is_valid_and_covers_what_the_issue_asks():
    items = load(SEED_SET, SEEDS)
    kinds = [i.kind for i in items]
    assert len(items) >= 60
    assert kinds.count("unanswerable") >= 8
    for kind in ("fact", "temporal", "comparison", "paraphrase", "numbers", "followup"):
        assert kind in kinds
    assert all(i.history for i in items if i.kind == "followup")


def line(**kw) -> str:
    base = {"id": "x1", "question": "Is integrity training mandatory?", "kind": "fact",
            "relevant": [{"file": "000_d608bf2d84913752.txt",
                          "quote": "An e-learning training package has also been used, but is not mandatory"}],
            "force": None, "year_from": None, "year_to": None}
    return json.dumps(base | kw)


@pytest.mark.parametrize("bad,reason", [
    ({"relevant": [{"file": "000_d608bf2d84913752.txt", "quote": "training is mandatory for all staff"}]},
     "quote not found in 000_d608bf2d84913752.txt"),
    ({"relevant": [{"file": "nope.txt", "quote": "anything"}]}, "file 'nope.txt' is not in the corpus"),
    ({"kind": ["fact"]}, "'kind' must be a short label"),
    ({"kind": "unanswerable"}, "must have an empty 'relevant' list"),
    ({"relevant": []}, "only 'unanswerable' questions may have no relevant quotes"),
    ({"year_from": "2014"}, "'year_from' must be a year"),
])
def test_validator_names_the_line_and_the_reason(tmp_path, bad, reason):
    path = tmp_path / "set.jsonl"
    path.write_text(line() + "\n\n" + line(id="x2", **bad) + "\n")
    with pytest.raises(DatasetError) as e:
        load(path, SEEDS)
    assert f"{path}:3:" in str(e.value) and reason in str(e.value)


def test_validator_rejects_missing_fields_and_bad_json(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q"}\n')
    with pytest.raises(DatasetError, match=r"set.jsonl:1: missing field\(s\) relevant, kind"):
        load(path, SEEDS)
    path.write_text("{not json\n")
    with pytest.raises(DatasetError, match=r"set.jsonl:1: not valid JSON"):
        load(path, SEEDS)


def test_relevance_ignores_layout_and_credits_the_chunk_holding_most_of_a_split_quote():
    quote = "Vetting arrangements do not fully comply with the national vetting policy and do not identify"
    ev = Evidence("a.txt", quote)
    assert holds("**Vetting** arrangements do not\nfully comply with the national vetting policy and do not "
                 "identify corruption risks", "a.txt", ev)
    assert not holds(quote, "b.txt", ev), "evidence counts only in its own file"
    head, tail = "Vetting arrangements do not fully comply with the national", "vetting policy and do not identify"
    assert share_held(f"earlier text. {head}", quote) > 0.5 and holds(f"earlier text. {head}", "a.txt", ev)
    assert share_held(f"{tail} later text", quote) < 0.5 and not holds(f"{tail} later text", "a.txt", ev)
    assert holds("Total public complaints 356 15.4", "a.txt", Evidence("a.txt", "356"))
    assert not holds("Total public complaints 1356", "a.txt", Evidence("a.txt", "356"))


UNSEEN = {
    "kent.txt": """Kent Police: integrity and corruption inspection 2016

Summary

Kent Police runs a dedicated counter-corruption desk that reviews every declared second job within
ten working days. The force has cleared its vetting backlog and all officers now hold recruitment
vetting.

Gifts and hospitality

The gifts register is published every quarter on the force website. Staff understand that refused
offers must also be recorded, and refusal entries are common.

Recommendations

Within three months, the force should ensure that supervisors check the register every quarter.
""",
    "essex.txt": """Essex Police: PEEL legitimacy 2017

Summary

Essex Police is good at treating the public fairly. Stop and search records were reviewed and 95 percent
contained reasonable grounds. The force publishes its stop and search data every month.

Body-worn video

All response officers in Essex carry body-worn video cameras and must switch them on for every search.
""",
}


def _backlog_item(quote: str):
    from eval.dataset import Item
    return Item(id="x", question="What happened to the vetting backlog?", kind="fact",
                relevant=[Evidence(file="a.txt", quote=quote)])


def _citation(quote: str):
    from assistant.records import Citation
    return Citation(n=1, chunk_id="c", doc_id="d", title="t", force="", year=2020, section="", page=None,
                    quote=quote, start=0, end=len(quote))


def test_a_quote_that_is_not_in_its_passage_is_counted_as_inexact():
    from assistant.records import Answer, AnswerSentence
    from eval.metrics import score_answer, summarise_answers
    passage = "The force reduced its vetting backlog from 18 percent to 16.7 percent."
    item = _backlog_item("reduced its vetting backlog")

    def answer(quote: str) -> Answer:
        return Answer(question=item.question, answer=f"{quote} [1]", mode="extractive",
                      sentences=[AnswerSentence(text=quote, citations=[1])], citations=[_citation(quote)])

    exact = score_answer(item, answer("reduced its vetting backlog"), lambda _: passage, lambda _: "a.txt")
    loose = score_answer(item, answer("reduced the vetting backlog"), lambda _: passage, lambda _: "a.txt")
    assert (exact.inexact, loose.inexact) == (0, 1)
    assert summarise_answers([exact, loose])["inexact_quotes"] == 1


def test_a_refusal_whose_closest_passages_quote_the_evidence_is_counted_as_shown():
    from assistant.records import Answer
    from eval.metrics import score_answer, summarise_answers
    passage = "The force reduced its vetting backlog from 18 percent to 16.7 percent. Training continues."
    item = _backlog_item("reduced its vetting backlog from 18 percent")

    def refused(quote: str) -> Answer:
        return Answer(question=item.question, answer="The indexed reports do not answer this.", refused=True,
                      closest=[_citation(quote)])

    shown = score_answer(item, refused("The force reduced its vetting backlog from 18 percent to 16.7 percent."),
                         lambda _: passage, lambda _: "a.txt")
    hidden = score_answer(item, refused("Training continues."), lambda _: passage, lambda _: "a.txt")
    assert shown.closest_relevant and not hidden.closest_relevant and not shown.cites_relevant
    summary = summarise_answers([shown, hidden])
    assert summary["refused_shown"] == 0.5 and summary["answer_recall"] == 0.0


def test_lead_and_quote_precision_count_what_the_reader_sees_first_and_at_all():
    """A sentence counts when it is, contains or is contained in a labelled quote of the same file."""
    from assistant.records import Answer, AnswerSentence
    from eval.metrics import score_answer, summarise_answers
    passage = "Training continues. The force reduced its vetting backlog from 18 percent to 16.7 percent."
    item = _backlog_item("reduced its vetting backlog from 18 percent to 16.7 percent")
    framing, finding = "Training continues.", "The force reduced its vetting backlog from 18 percent to 16.7 percent."

    def answer(*quotes: str, refused: bool = False) -> Answer:
        cites = [_citation(q) for q in quotes]
        for n, c in enumerate(cites, start=1):
            c.n = n
        return Answer(question=item.question, answer="", mode="extractive", refused=refused,
                      sentences=[AnswerSentence(text=q, citations=[n]) for n, q in enumerate(quotes, start=1)],
                      citations=cites)

    def scored(a: Answer, file: str = "a.txt"):
        return score_answer(item, a, lambda _: passage, lambda _: file)

    leads, trails = scored(answer(finding, framing)), scored(answer(framing, finding))
    assert (leads.lead, trails.lead) == (True, False)
    assert scored(answer("reduced its vetting backlog")).lead  # contained in the labelled quote
    assert not scored(answer(finding), file="b.txt").lead  # the same words in another report
    assert not scored(answer(finding, refused=True)).lead
    summary = summarise_answers([leads, trails])
    assert summary["lead"] == 0.5 and summary["quote_precision"] == 0.5


def test_eval_runs_on_a_corpus_and_questions_it_has_never_seen(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in UNSEEN.items():
        (corpus / name).write_text(text)
    rows = [
        {"id": "k1", "question": "How quickly are second jobs reviewed in Kent?", "kind": "fact",
         "relevant": [{"file": "kent.txt", "quote": "reviews every declared second job within ten working days"}],
         "force": "Kent"},
        {"id": "e1", "question": "What share of Essex stop and search records had reasonable grounds?",
         "kind": "numbers", "relevant": [{"file": "essex.txt", "quote": "95 percent contained reasonable grounds"}],
         "force": "Essex"},
        {"id": "e2", "question": "Do Essex officers have to switch on their cameras during a search?",
         "kind": "paraphrase", "force": "Essex",
         "relevant": [{"file": "essex.txt", "quote": "must switch them on for every search"}]},
        {"id": "u1", "question": "How many police horses does Kent have?", "kind": "unanswerable",
         "relevant": [], "force": "Kent"},
        {"id": "s1", "question": "Is the Kent gifts register published?", "kind": "specific",
         "relevant": [{"file": "kent.txt", "quote": "The gifts register is published every quarter"}]},
    ]
    labels = tmp_path / "docs.jsonl"
    labels.write_text(json.dumps({"file": "kent.txt", "forces": ["Kent"], "published": None, "period": None,
                                  "programme": "integrity and corruption", "kind": "force inspection"}) + "\n"
                      + json.dumps({"file": "essex.txt", "forces": ["Essex"], "published": "2017-12", "period": "PEEL 2017",
                                    "programme": "PEEL legitimacy", "kind": "force inspection"}) + "\n")
    dataset = tmp_path / "questions.jsonl"
    dataset.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "results.json"
    res = hmiqa("eval", "--corpus", str(corpus), "--dataset", str(dataset), "--json", str(out),
                "--modes", "bm25,dense,hybrid+filters,extractive", "--eval-index", str(tmp_path / "idx"),
                "--index", str(tmp_path / "unused"), "--metadata", str(labels))
    assert res.returncode == 0, res.stderr
    assert "| **hybrid+filters** (default) |" in res.stdout and "### extractive by kind" in res.stdout
    result = json.loads(out.read_text())
    modes = {m["name"]: m for m in result["modes"]}
    assert set(modes) == {"bm25", "dense", "hybrid+filters", "extractive", "metadata"}
    assert result["questions"] == 5 and result["answerable"] == 4 and result["config"]["documents"] == 2
    assert "specific" in modes["extractive"]["by_kind"], "a kind of the user's own is a group in the report"
    meta = modes["metadata"]
    # Kent is labelled with no date or period (not scored for year); Essex's year is guessed from the
    # PEEL 2017 legitimacy publishing schedule, and its publication date stays unknown
    assert meta["summary"]["forces_right"] == 1.0 and meta["summary"]["programme_right"] == 1.0
    assert meta["by_kind"]["year"]["scored"] == 1 and meta["by_kind"]["year"]["right"] == 1.0
    assert meta["by_kind"]["published"]["unknown"] == 0.5
    assert "## Metadata" in res.stdout and "essex.txt published unknown" in res.stdout
    assert modes["hybrid+filters"]["summary"]["hit@5"] == 1.0
    # the one unanswerable question (Kent's horses) is refused or answered under the caution: the
    # JSON's misses say which; a plain answer would be a wrong one
    horses = [m for m in modes["extractive"]["misses"] if m.get("id") == "u1"]
    assert modes["extractive"]["summary"]["refusal_recall"] == 1.0 or (horses and horses[0].get("caution")), horses
    assert modes["extractive"]["summary"]["answer_recall"] >= 2 / 3
    assert result["filters"]["checked"] == 4 and result["filters"]["match"] == 1.0  # s1 names no year
    assert not (tmp_path / "unused").exists(), "the user's own index is not touched"


def test_eval_refuses_an_unknown_mode_and_a_bad_dataset(tmp_path):
    res = hmiqa("eval", "--modes", "hybrid,magic")
    assert res.returncode == 2 and "unknown mode(s) magic; choose from: baseline" in res.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line(relevant=[{"file": "000_d608bf2d84913752.txt", "quote": "no such words here"}]) + "\n")
    res = hmiqa("eval", "--dataset", str(bad), "--eval-index", str(tmp_path / "idx"))
    assert res.returncode == 2 and f"{bad}:1: quote not found" in res.stderr


@pytest.mark.slow
def test_seed_evaluation_meets_its_floors_and_beats_the_baseline(tmp_path):
    """The CI guard: every mode on the seed set, with eval/floors.json."""
    out, md = tmp_path / "seed.json", tmp_path / "RESULTS.md"
    res = hmiqa("eval", "--floors", str(ROOT / "eval" / "floors.json"), "--json", str(out), "--results", str(md),
                "--eval-index", str(tmp_path / "idx"))
    assert res.returncode == 0, res.stderr[-3000:]
    result = json.loads(out.read_text())
    modes = {m["name"]: m["summary"] for m in result["modes"]}
    assert {"baseline", "fusion-baseline", "bm25", "dense", "hybrid", "hybrid+filters", "extractive"} <= set(modes)
    for metric in ("hit@5", "MRR@10", "nDCG@10"):  # inferred filters never cost evidence
        assert modes["hybrid+filters"][metric] >= modes["hybrid"][metric], metric
    for metric in ("doc hit@1", "hit@1", "MRR@10", "nDCG@10"):  # above the starter and the generic hybrid stack
        assert modes["hybrid+filters"][metric] > modes["baseline"][metric], metric
        assert modes["hybrid+filters"][metric] > modes["fusion-baseline"][metric], metric
    assert md.read_text().startswith("# Evaluation results")
    assert modes["findings"]["recall"] >= 0.9 and "## Findings extraction" in md.read_text()


def test_findings_extraction_is_scored_on_a_new_corpus(tmp_path):
    corpus = tmp_path / "reports"
    corpus.mkdir()
    (corpus / "essex.txt").write_text(
        "Essex Police: PEEL 2019\n\nHow well does the force ensure that its workforce behaves ethically and "
        "lawfully?\n\nRequires improvement\n\nAreas for improvement\n\n- The force should clear its vetting "
        "backlog.\n\n- The force should train supervisors to spot abuse of position for a sexual purpose.\n\n"
        "The force reviews every declared second job within ten working days.\n")
    rows = [{"id": "q1", "question": "How quickly are second jobs reviewed?", "kind": "fact",
             "relevant": [{"file": "essex.txt", "quote": "reviews every declared second job"}]}]
    dataset = tmp_path / "q.jsonl"
    dataset.write_text(json.dumps(rows[0]) + "\n")
    labels = [{"id": "a", "file": "essex.txt", "kind": "area_for_improvement", "year": 2019,
               "quote": "The force should clear its vetting backlog."},
              {"id": "b", "file": "essex.txt", "kind": "judgment", "year": 2019, "grade": "Requires improvement",
               "question": "How well does the force ensure that its workforce behaves ethically and lawfully?"}]
    labelled = tmp_path / "findings.jsonl"
    labelled.write_text("\n".join(json.dumps(x) for x in labels) + "\n")
    out = tmp_path / "r.json"
    res = hmiqa("eval", "--corpus", str(corpus), "--dataset", str(dataset), "--findings", str(labelled),
                "--modes", "bm25", "--json", str(out), "--eval-index", str(tmp_path / "idx"))
    assert res.returncode == 0, res.stderr
    assert "## Findings extraction" in res.stdout
    findings = next(m for m in json.loads(out.read_text())["modes"] if m["name"] == "findings")
    # both labels found; the second area for improvement was left out of the labels, so it counts against precision
    assert findings["summary"]["recall"] == 1.0
    assert findings["by_kind"]["area_for_improvement"] == {"n": 1, "extracted": 2, "precision": 0.5, "recall": 1.0}
    assert any("abuse of position" in m["got"] for m in findings["misses"])


def test_findings_labels_are_validated(tmp_path):
    bad = tmp_path / "f.jsonl"
    bad.write_text(json.dumps({"id": "x", "file": "000_d608bf2d84913752.txt", "kind": "recommendation",
                               "year": 2014, "quote": "The force should buy everyone a pony."}) + "\n")
    res = hmiqa("eval", "--findings", str(bad), "--modes", "bm25", "--eval-index", str(tmp_path / "idx"),
                "--results", "-")
    assert res.returncode == 2 and f"{bad}:1: quote not found in 000_d608bf2d84913752.txt" in res.stderr
    bad.write_text(json.dumps({"id": "x", "file": "002_43c52bc140556ea3.txt", "kind": "judgment", "grade": "Fine"}) + "\n")
    res = hmiqa("eval", "--findings", str(bad), "--modes", "bm25", "--eval-index", str(tmp_path / "idx"),
                "--results", "-")
    assert res.returncode == 2 and "a judgment needs a grade, one of: Outstanding" in res.stderr


def test_doc_hit_at_1_counts_the_publication_not_the_passage():
    """A large chunk that is a whole short publication holds the quote; a small chunk of the right
    publication that does not still finds the publication first."""
    from eval.dataset import Item
    from eval.metrics import Hit, score_retrieval, summarise_retrieval

    item = Item("q", "How many officers left?", [Evidence("a.txt", "Twelve officers left the force in 2030.")], "numbers")
    right_doc = score_retrieval(item, [Hit(1, "The force recruited in 2030.", "a.txt"),
                                       Hit(2, "Twelve officers left the force in 2030.", "a.txt")])
    wrong_doc = score_retrieval(item, [Hit(1, "Twelve officers joined.", "b.txt")])
    summary = summarise_retrieval([right_doc, wrong_doc])
    assert summary["doc hit@1"] == 0.5 and summary["hit@1"] == 0.0 and summary["hit@3"] == 0.5


def test_answer_model_folds_of_another_set_are_refused_with_what_to_do(tmp_path):
    """Out-of-fold figures need the folds fitted on the same questions: the seeds are in none of
    realdev's folds, and a file that is not folds says how to write one."""
    res = hmiqa("eval", "--modes", "extractive", "--results", "-", "--findings", "-", "--metadata", "-",
                "--answer-model-folds", str(ROOT / "eval" / "answer-model-folds-realdev.json"),
                "--eval-index", str(tmp_path / "idx"), "--index", str(tmp_path / "unused"))
    assert res.returncode == 2 and "is in none of the folds" in res.stderr, res.stderr[-2000:]
    bad = tmp_path / "folds.json"
    bad.write_text("{}")
    res = hmiqa("eval", "--modes", "extractive", "--results", "-", "--answer-model-folds", str(bad),
                "--eval-index", str(tmp_path / "idx"), "--index", str(tmp_path / "unused"))
    assert res.returncode == 2 and "scripts/fit_answer_model.py" in res.stderr, res.stderr[-2000:]
