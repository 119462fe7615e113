"""hmiqa's Python surface: `from assistant import Assistant`.

The records and vocabularies the surfaces (cli/, api/, ui/, app.py) show are re-exported here, so a
surface imports `assistant` and nothing below it."""
from ingest.findings import THEMES, Finding
from ingest.loaders import SUPPORTED
from ingest.programmes import KINDS, PROGRAMMES
from index.records import Passage

from .facade import Assistant, HmiqaError, StoreFull, StoreUnavailable

__all__ = ["Assistant", "HmiqaError", "StoreFull", "StoreUnavailable", "Finding", "Passage", "THEMES", "KINDS", "PROGRAMMES", "SUPPORTED"]
