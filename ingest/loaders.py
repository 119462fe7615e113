"""Read a report file into raw text. Pages, where the format has them, are joined with form feeds."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .budget import Budget, Deadline
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


def load(path: Path, deadline: Deadline | None = None) -> RawText:
    """The file's text. Whatever the file holds, a failure is an IngestError that names it and says why
    (a library's own error included): one bad file never stops a batch."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(str(path), f"unsupported file type '{suffix or 'none'}'; hmiqa reads "
                          + ", ".join(sorted(SUPPORTED)))
    deadline = deadline or Budget.unlimited().start(str(path))
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(str(path), "the file is empty; nothing to ingest")
    reader, kind = {".pdf": (_pdf, "PDF"), ".docx": (_docx, "DOCX"), ".html": (_html, "HTML page"),
                    ".htm": (_html, "HTML page")}.get(suffix, (_text, "text"))
    try:
        raw = reader(path, data, deadline)
    except IngestError:
        raise
    except MemoryError:
        raise IngestError(str(path), f"the {kind} needs more memory than this machine has to read; "
                          "split it or re-save it") from None
    except RecursionError:
        raise IngestError(str(path), f"the {kind} is nested too deeply to read; re-save or re-export it") from None
    except Exception as e:  # noqa: BLE001 - any library's error on a damaged or hostile file is that file's failure
        raise IngestError(str(path), f"the {kind} could not be read ({type(e).__name__}: {e}); "
                          "re-save or re-export it") from None
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


def _text(path: Path, data: bytes, deadline: Deadline) -> RawText:
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


def _html(path: Path, data: bytes, deadline: Deadline) -> RawText:
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
    return RawText(_blocks_text(root, deadline), "html", paged=False, warnings=warnings)


_BLOCKS = frozenset(("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "br", "table",
                     "ul", "ol", "blockquote"))


def _blocks_text(root, deadline: Deadline) -> str:
    """The text of `root` with a blank line around each block element and a bullet before each list
    item. One walk with a stack of its own: time grows with the page (inserting separators into the
    tree cost a scan of the siblings or descendants each, quadratic on wide or deep pages), and no
    depth of nesting reaches Python's recursion limit."""
    from bs4 import CData, NavigableString

    out: list[str] = []
    stack: list[tuple[object, bool]] = [(child, False) for child in reversed(root.contents)]
    seen = 0
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # what get_text() joins: not comments or doctypes
                out.append(str(node))
            continue
        block = node.name in _BLOCKS
        if leaving:
            out.append("\n\n")
            continue
        if block:
            out.append("\n\n• " if node.name == "li" else "\n\n")
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
        seen += 1
        if seen % 4096 == 0:
            deadline.check("reading the page")
    return "".join(out)


def _pdf(path: Path, data: bytes, deadline: Deadline) -> RawText:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

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
        pages = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            deadline.check(f"reading page {len(pages)}")
    except IngestError:
        raise
    except LimitReachedError as e:
        raise IngestError(str(path), f"a stream of the PDF inflates past what a document may hold ({e}); it may be "
                          "damaged or built to exhaust memory: re-export it") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        raise IngestError(str(path), f"the PDF is corrupt or unreadable ({type(e).__name__}: {e}); "
                          "re-download or re-export it") from None
    if not pages:
        raise IngestError(str(path), "the PDF has no pages")
    if not any(p.strip() for p in pages):
        raise IngestError(str(path), "the PDF has no text layer (scanned image?); run OCR on it first")
    return RawText(PAGE_BREAK.join(pages), "pdf", paged=True)


def _docx(path: Path, data: bytes, deadline: Deadline) -> RawText:
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            deadline.expanded(sum(info.file_size for info in z.infolist()), "the DOCX")
        import docx
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(str(path), f"the DOCX is corrupt ({e}); re-save it from Word") from None
    list_styles = {s.style_id for s in document.styles if "list" in (s.name or "").lower()}
    parts = []
    for n, para in enumerate(document.paragraphs, start=1):
        # the style by its id, looked up once: para.style searches the styles part for every paragraph
        p_pr = para._p.pPr
        style_id = p_pr.style if p_pr is not None else None
        text = para.text.strip()
        if text:
            parts.append(("• " + text) if style_id in list_styles else text)
        if n % 512 == 0:
            deadline.check(f"reading paragraph {n}")
    return RawText("\n\n".join(parts), "docx", paged=False)
