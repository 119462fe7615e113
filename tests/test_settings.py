"""One settings table; defaults < hmiqa.toml < HMIQA_* env < flags."""
from __future__ import annotations

import pytest

from assistant.settings import Settings, SettingsError


def test_precedence(tmp_path, monkeypatch):
    cfg = tmp_path / "hmiqa.toml"
    cfg.write_text('k = 5\nfusion = "rrf"\nalpha = 0.9\n')
    monkeypatch.setenv("HMIQA_K", "7")
    s = Settings.load(cfg, alpha=0.2)
    assert (s.k, s.fusion, s.alpha, s.chunk_tokens) == (7, "rrf", 0.2, 200)


def test_bad_settings_say_what_is_wrong(tmp_path, monkeypatch):
    cfg = tmp_path / "hmiqa.toml"
    cfg.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match=r"unknown settings \['colour'\]"):
        Settings.load(cfg)
    monkeypatch.setenv("HMIQA_K", "lots")
    with pytest.raises(SettingsError, match="k='lots' should be a int"):
        Settings.load(tmp_path / "none.toml")


def test_embedding_device_and_batch_size_are_checked(tmp_path):
    with pytest.raises(SettingsError, match="embedding_device must be auto, cpu or cuda"):
        Settings.load(tmp_path / "none.toml", embedding_device="tpu")
    with pytest.raises(SettingsError, match="embedding_batch_size must be between 1 and 4096"):
        Settings.load(tmp_path / "none.toml", embedding_batch_size=0)


def test_a_gpu_that_is_not_there_is_a_clear_error_at_open(tmp_path):
    import torch

    from assistant import Assistant, HmiqaError

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: the error cannot happen here")
    with pytest.raises(HmiqaError, match="torch sees no CUDA device"):
        Assistant.open(tmp_path / "index", embedding_device="cuda")
    a = Assistant.open(tmp_path / "index", embedding_device="auto", embedding_batch_size=8)
    assert (a.index.embedder.device, a.index.embedder.batch_size) == ("cpu", 8)
    a.close()


def test_the_readme_settings_table_is_the_one_made_from_the_table():
    from pathlib import Path

    from assistant.settings import README_END, README_START, markdown_table

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = readme[readme.index(README_START) + len(README_START):readme.index(README_END)].strip()
    assert shown == markdown_table(), "run `python scripts/settings_md.py` to regenerate it"


def test_every_field_comes_from_a_row_and_a_row_checks_its_choices_and_range(tmp_path):
    from dataclasses import fields

    from assistant.settings import TABLE

    assert [f.name for f in fields(Settings)] == [s.name for s in TABLE]
    with pytest.raises(SettingsError, match="fusion must be weighted or rrf, not 'mean'"):
        Settings.load(tmp_path / "none.toml", fusion="mean")
    with pytest.raises(SettingsError, match="alpha must be between 0 and 1"):
        Settings.load(tmp_path / "none.toml", alpha=1.5)
    with pytest.raises(SettingsError, match="answer_ratio must be between 0 and 1"):
        Settings.load(tmp_path / "none.toml", answer_ratio=1.5)
    assert Settings.load(tmp_path / "none.toml", embedding_device="cuda:1").embedding_device == "cuda:1"
    assert Settings.defaults().refuse_below == next(s.default for s in TABLE if s.name == "refuse_below")
