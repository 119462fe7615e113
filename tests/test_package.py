"""hmiqa installed from its wheel, not run from the checkout: the app, the LLM prompt templates, the
evaluation datasets and the seed reports must all be in the package.

The wheel is built from this checkout and installed (no dependencies) into a folder of its own; the
commands run from another folder with only that install on the path, so nothing can be found by
walking up to the checkout. The dependencies (torch, chromadb, streamlit…) come from the test's own
environment: installing them again into a fresh venv would download gigabytes for no extra evidence.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    # built from a copy: an in-tree build leaves build/ behind, whose stale files a later build would pack
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "var", "build", "test-artifacts",
                                                             "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(work / "dist")], check=True, cwd=work)
    wheel = next((work / "dist").glob("hmiqa-*.whl"))
    site = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, cwd=work)
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HMIQA_")}
    env["PYTHONPATH"] = str(site)
    return wheel, site, elsewhere, env


def run(installed, *args, extra_env=None, timeout=600):
    _, _, cwd, env = installed
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, env={**env, **(extra_env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_the_wheel_holds_the_app_templates_datasets_and_seed_reports(installed):
    wheel, site, cwd, env = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("app.py", "ui/chat.py", "prompts/answer_system.txt", "prompts/answer_user.txt",
                   "eval/datasets/seed.jsonl", "eval/datasets/findings_seed.jsonl"):
        assert needed in names, needed
    shipped = sorted(n for n in names if n.startswith("eval/seed_reports/"))
    assert [Path(n).name for n in shipped] == sorted(p.name for p in (ROOT / "data" / "reports").iterdir())
    where = subprocess.run([sys.executable, "-c", "import assistant, eval, ui, app; "
                            "print(assistant.__file__, eval.__file__, ui.__file__)"],
                           cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(w).is_relative_to(site) for w in where), where  # the install, not the checkout


def test_installed_eval_scores_the_shipped_seed_set(installed, tmp_path):
    done = run(installed, "eval", "--modes", "bm25", "--index", str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| bm25 |" in done.stdout and "Corpus" in done.stdout
    assert "seed_reports" in done.stdout  # the seed reports shipped inside the package
    assert not (installed[1] / "eval" / "RESULTS.md").exists()  # an installed package is not written into


@pytest.mark.llm
def test_installed_llm_mode_finds_its_templates(installed, llama_server, tmp_path):
    index = str(tmp_path / "index")
    seeds = installed[1] / "eval" / "seed_reports"
    done = run(installed, "ingest", str(seeds), "--index", index)
    assert done.returncode == 0, done.stderr[-2000:]
    llm = {"HMIQA_LLM_PROVIDER": "openai", "HMIQA_LLM_BASE_URL": f"{llama_server}/v1", "HMIQA_LLM_MODEL": "smollm2",
           "HMIQA_LLM_TIMEOUT": "120", "HMIQA_LLM_MAX_TOKENS": "80"}
    done = run(installed, "ask", "What did HMIC find about vetting in Cambridgeshire?", "--mode", "llm", "--json",
               "--index", index, extra_env=llm)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["mode"] == "llm", answer.get("notices")  # the templates loaded and the model answered


def test_installed_ui_serves_the_app(installed, tmp_path):
    port = free_port()
    _, _, cwd, env = installed
    proc = subprocess.Popen([sys.executable, "-m", "cli", "ui", "--port", str(port),
                             "--index", str(tmp_path / "index")], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok",
                 "the installed app starting", 120, proc, lambda: proc.stdout.read())  # e.g. "File does not exist"
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)
