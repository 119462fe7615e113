"""Both catalogs keep one contract (index/catalogs.py): the SQLite one beside an embedded index and
the Chroma one on a server answer the same calls with the same parameters, and rows leave them as
records. The server catalog itself runs against a real `chroma run` in tests/test_chroma_server.py."""
from __future__ import annotations

import inspect

import pytest

from index.catalog import Catalog
from index.catalogs import CatalogStore, LocalCatalogStore, Placement, Version
from index.chroma_catalog import ChromaCatalog


def _methods(protocol) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in vars(protocol).items()
            if callable(fn) and not name.startswith("_")}


@pytest.mark.parametrize("store,protocols", [(Catalog, (CatalogStore, LocalCatalogStore)), (ChromaCatalog, (CatalogStore,))])
def test_each_catalog_answers_its_contract_with_the_same_parameters(store, protocols):
    for protocol in protocols:
        for name, wanted in _methods(protocol).items():
            assert hasattr(store, name), f"{store.__name__} lacks {name}"
            got = inspect.signature(getattr(store, name))
            assert list(got.parameters) == list(wanted.parameters), f"{store.__name__}.{name}{got} vs {wanted}"


def test_versions_of_a_source_are_records(seeded):
    catalog = seeded.index.catalog
    doc = seeded.documents()[0]
    versions = catalog.by_source(doc.source)
    assert versions == [Version(doc.doc_id, doc.file_hash, "ready")]
    assert catalog.status(doc.doc_id) == Placement(doc.source, "ready")
    assert catalog.status("no-such-document") is None and catalog.by_source("/nowhere.txt") == []
