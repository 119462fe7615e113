"""Read a report file into raw text. Pages, where the format has them, are joined with form feeds."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import IngestError

# the file types hmiqa reads, as people name them, with their suffixes: the one list every surface shows
FILE_TYPES = (("PDF", (".pdf",)), ("TXT", (".txt",)), ("HTML", (".html", ".htm")), ("Markdown", (".md", ".markdown")),
              ("Word (.docx)", (".docx",)))
SUPPORTED = frozenset(suffix for _, suffixes in FILE_TYPES for suffix in suffixes)


def described_file_types() -> str:
    """"PDF, TXT, HTML, Markdown or Word (.docx)": the file types in words."""
    names = [name for name, _ in FILE_TYPES]
    return ", ".join(names[:-1]) + " or " + names[-1]
PAGE_BREAK = "\f"


@dataclass
class RawText:
    text: str
    format: str
    paged: bool
    warnings: list[str] = field(default_factory=list)


def load(path: Path) -> RawText:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(str(path), f"unsupported file type '{suffix or 'none'}'; hmiqa reads "
                          + ", ".join(sorted(SUPPORTED)))
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(str(path), "the file is empty; nothing to ingest")
    reader = {".pdf": _pdf, ".docx": _docx, ".html": _html, ".htm": _html}.get(suffix, _text)
    raw = reader(path, data)
    if not raw.text.strip():
        raise IngestError(str(path), "no text could be extracted")
    return raw


def decode_text(path: Path, data: bytes) -> tuple[str, list[str]]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark (Windows "Unicode" text)
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as e:
            raise IngestError(str(path), f"the text says it is UTF-16 but is not ({e}); re-save it as UTF-8") from None
    if b"\x00" in data[:8192] or _control_ratio(data[:8192]) > 0.05:
        raise IngestError(str(path), "this looks like a binary file, not text; "
                          "export it as PDF, TXT, HTML, MD or DOCX")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise IngestError(str(path), f"the text is neither UTF-8 nor Windows-1252 ({e}); "
                          "re-save it as UTF-8") from None
    return text, ["not UTF-8: decoded as Windows-1252 (Latin-1)"]


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    bad = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13))
    return bad / len(data)


def _text(path: Path, data: bytes) -> RawText:
    text, warnings = decode_text(path, data)
    return RawText(text, "markdown" if path.suffix.lower() in (".md", ".markdown") else "text",
                   paged=False, warnings=warnings)


_HIDDEN_STYLE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.I)


def _hidden(tag) -> bool:
    """An element a browser does not render: `hidden`, `aria-hidden="true"`, or inline display:none /
    visibility:hidden."""
    attrs = getattr(tag, "attrs", None) or {}
    return ("hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true"
            or bool(_HIDDEN_STYLE.search(str(attrs.get("style", "")))))


def _html(path: Path, data: bytes) -> RawText:
    from bs4 import BeautifulSoup

    text, warnings = decode_text(path, data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "form", "svg",
                     "template", "iframe"]):
        tag.decompose()
    # what a browser does not show is not the report: never indexed, never quoted
    for tag in soup.find_all(_hidden):
        if not tag.decomposed:
            tag.decompose()
    root = soup.find("main") or soup.body or soup
    blocks = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "br", "table", "ul", "ol", "blockquote")
    for tag in root.find_all(blocks):
        if tag.name == "li":
            tag.insert_before("\n\n• ")
        else:
            tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    return RawText(root.get_text(), "html", paged=False, warnings=warnings)


def _pdf(path: Path, data: bytes) -> RawText:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise IngestError(str(path), "the PDF is encrypted; save an unlocked copy")
            except IngestError:
                raise
            except Exception:
                raise IngestError(str(path), "the PDF is encrypted; save an unlocked copy") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        raise IngestError(str(path), f"the PDF is corrupt or unreadable ({type(e).__name__}: {e}); "
                          "re-download or re-export it") from None
    if not pages:
        raise IngestError(str(path), "the PDF has no pages")
    if not any(p.strip() for p in pages):
        raise IngestError(str(path), "the PDF has no text layer (scanned image?); run OCR on it first")
    return RawText(PAGE_BREAK.join(pages), "pdf", paged=True)


def _docx(path: Path, data: bytes) -> RawText:
    import io

    try:
        import docx
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(str(path), f"the DOCX is corrupt ({e}); re-save it from Word") from None
    parts = []
    for para in document.paragraphs:
        style = (para.style.name or "").lower() if para.style is not None else ""
        text = para.text.strip()
        if not text:
            continue
        parts.append(("• " + text) if "list" in style else text)
    return RawText("\n\n".join(parts), "docx", paged=False)
