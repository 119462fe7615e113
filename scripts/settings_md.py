"""Rewrite the README's settings table from the settings table (assistant/settings.py):
`python scripts/settings_md.py [README.md]`. tests/test_settings.py fails while they differ."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.settings import write_readme  # noqa: E402

if __name__ == "__main__":
    write_readme(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "README.md")
