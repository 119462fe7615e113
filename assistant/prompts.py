"""Plain-text templates in prompts/, loaded by name."""
from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load(name: str) -> str:
    path = PROMPTS / f"{name}.txt"
    if not path.exists():
        known = sorted(p.stem for p in PROMPTS.glob("*.txt"))
        raise FileNotFoundError(f"no prompt template '{name}' in {PROMPTS}; templates: {known}")
    return path.read_text(encoding="utf-8")
