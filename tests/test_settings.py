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
