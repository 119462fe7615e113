"""A report's sidecar `<file>.meta.json`: what its owner says about it (title, forces, dates,
programme, kind, ...), overriding what was inferred. One schema, a row a field: each value is checked
by its row, and a bad one is refused with its name, the value and what is allowed, while the file's
other fields and the rest of the batch go on. Nothing unchecked reaches the catalog.

`sanitize` applies the same rows to a record read back from an index, so a value stored before the
checks existed (a year "abc") reads as unknown instead of breaking every search."""
from __future__ import annotations

import datetime as dt
import errno
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import forces as force_table
from .errors import IngestError
from .programmes import PROGRAMMES, PUBLICATION_KINDS
from .records import YEARS


class Refused(ValueError):
    """A value a field does not take; the message says what it does take."""


def _text(limit: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Refused(f"a non-empty string of at most {limit} characters")
        if len(value) > limit:
            raise Refused(f"at most {limit} characters (this has {len(value)})")
        return value.strip()
    return parse


def _year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise Refused(f"a year from {YEARS[0]} to {YEARS[1]}, such as 2014")
    year = int(str(value).strip()) if len(str(value).strip()) <= 4 else YEARS[1] + 1
    if not YEARS[0] <= year <= YEARS[1]:
        raise Refused(f"a year from {YEARS[0]} to {YEARS[1]}, such as 2014")
    return year


def _date(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    try:
        if re.fullmatch(r"\d{4}", text):
            _year(text)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            _year(text[:4])
            dt.date(int(text[:4]), int(text[5:7]), 1)
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            _year(text[:4])
            dt.date.fromisoformat(text)
        else:
            raise ValueError
    except (ValueError, Refused):
        raise Refused("a date as YYYY-MM-DD, YYYY-MM or YYYY, such as 2013-06-01") from None
    return text


def _one_of(allowed: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if value not in allowed:
            raise Refused("one of: " + ", ".join(allowed))
        return value
    return parse


def _forces(value: object) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names) or len(names) > 50:
        raise Refused('a force or a list of forces, such as ["Cambridgeshire"] ([] for a national publication)')
    try:
        return list(dict.fromkeys(force_table.resolve(n) for n in names))
    except force_table.UnknownForce as e:
        raise Refused(f"forces of England and Wales ({str(e).split('. ')[0]})") from None


def _url(value: object) -> str:
    if not isinstance(value, str) or not re.match(r"https?://\S+$", value.strip()) or len(value) > 2000:
        raise Refused("a web address starting http:// or https://")
    return value.strip()


@dataclass(frozen=True)
class ManifestField:
    name: str
    parse: Callable[[object], object]


FIELDS = (
    ManifestField("title", _text(500)),
    ManifestField("forces", _forces),
    ManifestField("year", _year),
    ManifestField("published", _date),
    ManifestField("inspection_year", _year),
    ManifestField("period", _text(100)),
    ManifestField("programme", _one_of(PROGRAMMES)),
    ManifestField("kind", _one_of(PUBLICATION_KINDS)),
    ManifestField("inspectorate", _text(100)),
    ManifestField("url", _url),
)
BY_NAME = {f.name: f for f in FIELDS}


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def sidecar_bytes(path: Path) -> bytes | None:
    """The sidecar's bytes, or None when there is none; a report whose name leaves no room for a
    sidecar's (the file system's 255 bytes) has none."""
    try:
        return sidecar(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            return None
        raise


def read(path: Path) -> tuple[dict, list[str]]:
    """The sidecar's checked fields, and a warning for each field refused (its name, the value, what is
    allowed). A sidecar that is not a JSON object fails the file: it is the owner's word on it."""
    side = sidecar(path)
    try:
        raw = sidecar_bytes(path)
        if raw is None:
            return {}, []
        data = json.loads(raw.decode("utf-8"))
    except OSError as e:
        raise IngestError(str(path), f"its sidecar {side.name} cannot be read ({e.strerror or e}); "
                          "rename the file shorter, or fix or remove the sidecar") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IngestError(str(path), f"its sidecar {side.name} is not valid JSON ({e}); fix or remove it") from None
    if not isinstance(data, dict):
        raise IngestError(str(path), f"its sidecar {side.name} must be a JSON object")
    if "report_type" in data:  # sidecars written before programme and kind were separate fields
        data.setdefault("programme", data.pop("report_type"))
    values, warnings = {}, []
    for name, value in data.items():
        row = BY_NAME.get(name)
        if row is None:
            warnings.append(f"sidecar {side.name}: unknown field {name!r} ignored; the fields are "
                            + ", ".join(BY_NAME))
            continue
        try:
            values[name] = row.parse(value)
        except Refused as e:
            shown = json.dumps(value, ensure_ascii=False)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            warnings.append(f"sidecar {side.name}: {name} {shown} refused (the inferred value is kept); "
                            f"{name} takes {e}")
    return values, warnings


def valid(name: str, value: object) -> bool:
    """Whether a stored value is one the field takes (a field with no row takes anything)."""
    row = BY_NAME.get(name)
    if row is None:
        return True
    try:
        return row.parse(value) == value
    except Refused:
        return False


def sanitize(record: dict) -> list[str]:
    """Check a stored record's sidecar-settable fields in place: a value no row takes becomes unknown
    (None; [] for forces). Returns the names of the fields it changed."""
    changed = []
    # every chunk read passes here: the forces and the title are checked for their type only (a stored
    # force need not be one of the table's, and resolving each would cost a scan of the table)
    if not (isinstance(record.get("forces"), list) and all(isinstance(f, str) for f in record["forces"])):
        if record.get("forces") not in (None, []):
            record["forces"] = []
            changed.append("forces")
    if record.get("title") is not None and not isinstance(record["title"], str):
        record["title"] = ""
        changed.append("title")
    for name in ("year", "published", "inspection_year", "period", "programme", "kind"):
        if (value := record.get(name)) is None:
            continue
        try:
            good = BY_NAME[name].parse(value)  # a year stored as text reads as the number it names
        except Refused:
            good = None
        if good != value:
            record[name] = good
            changed.append(name)
    return changed
