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
