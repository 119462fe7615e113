"""docs/BENCHMARKS.md is written by several scripts, each owning sections: one replaces its own."""
from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, name: str, section: str) -> None:
    """Replace the '## name' section of the Markdown file at `path` with `section` (appended if absent)."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
