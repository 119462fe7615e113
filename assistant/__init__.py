"""hmiqa's Python surface: `from assistant import Assistant`.

The records and vocabularies the surfaces (cli/, api/, ui/, app.py) show are re-exported here, so a
surface imports `assistant` and nothing below it."""
from index.records import Passage
from ingest.findings import Finding

from . import vocabulary
from .errors import HmiqaError, StoreFull, StoreUnavailable
from .facade import Assistant

__all__ = ["Assistant", "HmiqaError", "StoreFull", "StoreUnavailable", "Finding", "Passage", "vocabulary"]
