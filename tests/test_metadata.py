"""Inferred metadata for each seed report (what `hmiqa docs` shows officers)."""
from __future__ import annotations

import json

import pytest

from ingest.pipeline import build_document

from .conftest import CAMBS_2012, CAMBS_2014, HANTS_2014, PEEL_2018, RESPONSE

EXPECTED = [
    (CAMBS_2014, ["Cambridgeshire"], 2014, "integrity and corruption", "force inspection"),
    (HANTS_2014, ["Hampshire"], 2014, "integrity and corruption", "force inspection"),
    (PEEL_2018, ["Cambridgeshire"], 2020, "PEEL legitimacy", "force inspection"),
    (RESPONSE, ["Cambridgeshire"], 2013, "police relationships", "response"),
    (CAMBS_2012, ["Cambridgeshire"], 2012, "police relationships", "revisit or progress"),
]


@pytest.mark.parametrize("path,forces,year,programme,kind", EXPECTED, ids=lambda v: getattr(v, "name", None))
def test_force_year_programme_and_kind(path, forces, year, programme, kind):
    doc, _ = build_document(path, "hash")
    assert doc.forces == forces
    assert doc.year == year
    assert (doc.programme, doc.kind) == (programme, kind)
    for name in ("forces", "year", "programme", "kind", "title", "published", "period"):
        assert doc.metadata_confidence[name]["method"]
        assert doc.metadata_confidence[name]["confidence"] in ("high", "medium", "low", "manifest")


def test_peel_keeps_publication_and_inspection_years():
    doc, _ = build_document(PEEL_2018, "h")
    assert doc.published == "2020-01-21"
    assert doc.inspection_year == 2018
    assert doc.period == "PEEL 2018/19"
    assert doc.title == "Cambridgeshire PEEL 2018: Legitimacy"
    assert doc.inspectorate == "HMICFRS"


def test_dates_from_title_page_and_data_period():
    doc, _ = build_document(CAMBS_2012, "h")
    assert doc.published == "2012-12" and doc.title == "Revisiting police relationships: progress report"
    doc, _ = build_document(CAMBS_2014, "h")
    assert doc.published is None and doc.inspection_year == 2014
    assert "12 months to March 2014" in doc.metadata_confidence["year"]["method"]


def test_response_year_is_marked_as_a_guess():
    doc, _ = build_document(RESPONSE, "h")
    assert doc.published is None
    assert doc.metadata_confidence["year"]["confidence"] == "low"
    assert doc.metadata_confidence["year"]["method"].startswith("guess:")


def test_manifest_with_the_old_report_type_field_still_works(tmp_path):
    path = tmp_path / RESPONSE.name
    path.write_bytes(RESPONSE.read_bytes())
    (tmp_path / (RESPONSE.name + ".meta.json")).write_text(json.dumps({"report_type": "custody", "kind": "response"}))
    doc, _ = build_document(path, "h")
    assert (doc.programme, doc.kind) == ("custody", "response")


def test_a_sidecar_field_with_a_value_it_does_not_take_is_refused_by_name_and_the_rest_applies(tmp_path):
    path = tmp_path / RESPONSE.name
    path.write_bytes(RESPONSE.read_bytes())
    inferred, _ = build_document(RESPONSE, "h")
    (tmp_path / (RESPONSE.name + ".meta.json")).write_text(json.dumps({"programme": "PEEL 2014", "kind": "letter or terms"}))
    doc, _ = build_document(path, "h")
    assert doc.programme == inferred.programme and doc.kind == "letter or terms"
    assert any("programme \"PEEL 2014\" refused" in w and "programme takes one of: PEEL legitimacy" in w
               for w in doc.warnings), doc.warnings


def test_documents_stored_before_programme_and_kind_open_with_both():
    from ingest.records import Chunk, Document
    doc, _ = build_document(RESPONSE, "h")
    old = doc.to_dict()
    old.pop("programme"), old.pop("kind")
    old["report_type"] = "force response to recommendations"
    back = Document.from_dict(old)
    assert (back.programme, back.kind) == ("police relationships", "response") and back.is_response
    chunk = Chunk.from_dict({"chunk_id": "d:0", "doc_id": "d", "ordinal": 0, "text": "t", "start": 0, "end": 1,
                             "section": "", "page_start": None, "page_end": None, "forces": [], "year": 2014,
                             "report_type": "integrity and corruption", "title": "t", "context": "c"})
    assert (chunk.programme, chunk.kind) == ("integrity and corruption", "force inspection")


def test_council_and_fire_service_are_not_counted_as_forces():
    from ingest.forces import mentions
    assert mentions("Hampshire County Council and Hampshire Fire and Rescue Service") == {}
    assert mentions("Hampshire Constabulary") == {"Hampshire": 2}


def test_sidecar_manifest_overrides_inferred_fields(tmp_path):
    path = tmp_path / RESPONSE.name
    path.write_bytes(RESPONSE.read_bytes())
    (tmp_path / (RESPONSE.name + ".meta.json")).write_text(json.dumps({"published": "2013-06-01", "forces": ["Cambs"], "url": "https://example.org/r.pdf"}))
    doc, _ = build_document(path, "h")
    assert doc.published == "2013-06-01" and doc.year == 2013 and doc.forces == ["Cambridgeshire"]
    assert doc.metadata_confidence["published"]["confidence"] == "manifest"
    assert doc.url == "https://example.org/r.pdf" and doc.source == str(path.resolve())


def test_a_sidecar_naming_an_unknown_force_keeps_the_inferred_forces_and_says_why(tmp_path):
    path = tmp_path / RESPONSE.name
    path.write_bytes(RESPONSE.read_bytes())
    inferred, _ = build_document(RESPONSE, "h")
    (tmp_path / (RESPONSE.name + ".meta.json")).write_text(json.dumps({"forces": ["Gotham"]}))
    doc, _ = build_document(path, "h")
    assert doc.forces == inferred.forces
    assert any("forces [\"Gotham\"] refused" in w and "unknown force 'Gotham'" in w for w in doc.warnings), doc.warnings
