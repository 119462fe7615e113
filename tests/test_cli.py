"""The `hmiqa` command as a user runs it, over the seed index."""
from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT


def hmiqa(*args, index):
    return subprocess.run([sys.executable, "-m", "cli", *args, "--index", str(index)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_docs_json_lists_the_five_seeds_with_force_and_year(seeded_index):
    out = hmiqa("docs", "--json", index=seeded_index)
    assert out.returncode == 0, out.stderr
    docs = json.loads(out.stdout)
    got = sorted((d["forces"][0], d["year"], d["programme"], d["kind"]) for d in docs)
    assert got == sorted([
        ("Cambridgeshire", 2012, "police relationships", "revisit or progress"),
        ("Cambridgeshire", 2013, "police relationships", "response"),
        ("Cambridgeshire", 2014, "integrity and corruption", "force inspection"),
        ("Hampshire", 2014, "integrity and corruption", "force inspection"),
        ("Cambridgeshire", 2020, "PEEL legitimacy", "force inspection"),
    ])
    for d in docs:
        assert {"doc_id", "source", "title", "published", "period", "sections", "pages",
                "metadata_confidence", "n_chunks"} <= set(d) and "text" not in d
        assert d["n_chunks"] > 0
    peel = next(d for d in docs if d["programme"] == "PEEL legitimacy")
    assert peel["period"] == "PEEL 2018/19" and peel["published"] == "2020-01-21"


def test_search_json_acceptance_query(seeded_index):
    out = hmiqa("search", "vetting", "--force", "Cambridgeshire", "--from", "2014", "--json", index=seeded_index)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    passages = result["passages"]
    assert passages and {p["year"] for p in passages} <= {2014, 2020}
    assert {p["programme"] for p in passages} <= {"integrity and corruption", "PEEL legitimacy"}
    assert "vetting" in passages[0]["text"].lower()
    assert {"chunk_id", "doc_id", "text", "start", "end", "section", "page_start", "page_end",
            "score", "rank", "scores"} <= set(passages[0])


def test_user_errors_exit_2_with_a_message(seeded_index):
    out = hmiqa("search", "vetting", "--force", "Gotham", index=seeded_index)
    assert out.returncode == 2 and "unknown force 'Gotham'" in out.stderr
    out = hmiqa("search", "  ", index=seeded_index)
    assert out.returncode == 2 and "question is empty" in out.stderr


def test_stats(seeded_index):
    out = hmiqa("stats", "--json", index=seeded_index)
    stats = json.loads(out.stdout)
    assert stats["documents"] == 5 and stats["chunks"] == stats["vectors"] > 100
    assert stats["forces"] == ["Cambridgeshire", "Hampshire"]


def test_a_refused_question_prints_the_closest_passages_apart(seeded_index):
    out = hmiqa("ask", "What did HMIC say about police use of drones?", index=seeded_index)
    assert out.returncode == 0, out.stderr
    answer, _, rest = out.stdout.partition("Closest passages (not an answer):")
    assert "do not answer this" in answer and "Sources:" not in out.stdout
    assert rest.count("\n- “") >= 1
