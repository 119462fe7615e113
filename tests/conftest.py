"""Fixtures: the real seed reports, the real model and real Chroma, in temporary index dirs."""
from __future__ import annotations

import shutil
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
    assistant.close()
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
