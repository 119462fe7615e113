"""Reading time of the HTML and DOCX loaders against input size: seconds per MB at four sizes, which
stay flat when a loader is linear in its input. Writes the "Loaders" section of docs/BENCHMARKS.md.

    python scripts/bench_loaders.py [--out docs/BENCHMARKS.md] [--runs 3]
"""
from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks_md import write_section  # noqa: E402  (scripts/ is on the path of a script run)

from ingest.loaders import load  # noqa: E402

SIZES_MB = (0.5, 1, 2, 4)


def wide_html(mb: float) -> bytes:
    para = "<p>The force has improved how it records gifts and hospitality since the last inspection.</p>\n"
    return ("<html><body><main>" + para * int(mb * 1e6 / len(para)) + "</main></body></html>").encode()


def nested_html(mb: float) -> bytes:
    n = int(mb * 1e6 / len("<div>Finding. </div>"))
    return ("<html><body>" + "<div>Finding. " * n + "</div>" * n + "</body></html>").encode()


def long_docx(mb: float) -> bytes:
    """A DOCX of about `mb` MB of document XML (the zip is far smaller)."""
    import docx

    d = docx.Document()
    text = "The force has improved how it records gifts and hospitality since the last inspection."
    for i in range(int(mb * 1e6 / 180)):  # ~180 bytes of XML a paragraph
        d.add_paragraph(text, style="List Bullet" if i % 5 == 0 else None)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def xml_mb(data: bytes) -> float:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.getinfo("word/document.xml").file_size / 1e6


def measure(kind: str, make, suffix: str, runs: int) -> list[tuple[str, float, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in SIZES_MB:
            data = make(mb)
            path = Path(tmp) / f"{kind}-{mb}{suffix}"
            path.write_bytes(data)
            size = xml_mb(data) if suffix == ".docx" else len(data) / 1e6
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                load(path)
                times.append(time.perf_counter() - t)
            s = statistics.median(times)
            rows.append((kind, size, s, s / size))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = (measure("HTML, wide (sibling paragraphs)", wide_html, ".html", args.runs)
            + measure("HTML, nested (each div inside the last)", nested_html, ".html", args.runs)
            + measure("DOCX (MB of document XML)", long_docx, ".docx", args.runs))
    lines = ["## Loaders", "",
             f"Measured {date.today()} by `scripts/bench_loaders.py` on {platform.machine()}, Python "
             f"{platform.python_version()}, one run of {args.runs} reads a size (median). Reading only (the loader: "
             "parse and text), not cleaning or chunking. Seconds per MB stay flat as the input grows: the HTML "
             "loader walks the page once, and the DOCX loader looks each paragraph's style up by id.", "",
             "| input | MB | seconds | seconds per MB |", "|---|---:|---:|---:|"]
    lines += [f"| {kind} | {mb:.2f} | {s:.2f} | {per:.2f} |" for kind, mb, s, per in rows]
    write_section(args.out, "Loaders", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
