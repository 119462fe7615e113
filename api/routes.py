"""The routes, one router per concern: ops, answers, documents, findings. Each is made for one app's
service, key checks and request models (no `from __future__ import annotations`: FastAPI reads these
annotations at run time, and the request models are local to the app)."""
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response
from pydantic import StringConstraints

from assistant import Finding, uploads
from assistant.brief import Brief, to_docx, to_markdown
from assistant.records import Answer
from assistant.settings import Settings
from assistant.vocabulary import (DOCX_MEDIA_TYPE, FINDING_KINDS, MARKDOWN_MEDIA_TYPE, YEARS, BriefFormat,
                                  brief_file_name, described_file_types)

from .errors import ApiError, responses
from .schemas import DeletedOut, DocumentFull, DocumentOut, SearchOut, UploadOut, doc_out
from .service import Service

Text = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def ops(svc: Service) -> APIRouter:
    r = APIRouter(tags=["ops"])

    @r.api_route("/healthz", methods=["GET", "HEAD"])  # health checks that probe with HEAD read 405 as down
    def healthz() -> dict:
        """The process is up."""
        return {"status": "ok"}

    @r.api_route("/readyz", methods=["GET", "HEAD"], responses=responses(503))
    def readyz() -> dict:
        """The index is open, its store answers and the model is loaded: answers will come without a cold
        start. Open to all, so it says nothing about what is indexed (GET /v1/documents, with a key)."""
        a = svc.current()
        svc.call(a.documents)  # the store answers (503 store_unavailable when it does not)
        return {"status": "ready", **a.store()}
    return r


def answers(svc: Service, role, AskIn, SearchIn) -> APIRouter:  # noqa: N803 (request model classes)
    r = APIRouter(tags=["answers"], dependencies=[role("read")])

    @r.post("/v1/ask", response_model=Answer, responses=responses(400, 401, 403, 413, 422, 503))
    def ask(body: AskIn) -> Answer:
        """A cited answer: every sentence quoted from a report, each citation with its quote and span."""
        a = svc.current()
        return svc.call(lambda: a.ask(body.question, filters=svc.filters_of(body.filters), history=body.history,
                                      mode=body.mode, k=body.k))

    @r.post("/v1/search", response_model=SearchOut, responses=responses(400, 401, 403, 413, 422, 503))
    def search(body: SearchIn) -> dict:
        """The passages that best match a question (hybrid BM25 + dense by default), with their scores."""
        a = svc.current()

        def run():
            f = svc.filters_of(body.filters)
            return {"question": body.question, "filters": f.to_dict() if f else {},
                    "passages": a.search(body.question, k=body.k, filters=f, retriever=body.retriever)}
        return svc.call(run)
    return r


def documents(svc: Service, role, settings: Settings) -> APIRouter:
    r = APIRouter(tags=["documents"])

    @r.get("/v1/documents", response_model=list[DocumentOut], dependencies=[role("read")],
           responses=responses(401, 403, 503))
    def documents() -> list[dict]:
        """Every indexed report with its inferred metadata and passage count (no text)."""
        a = svc.current()
        return [doc_out(d) for d in svc.call(a.documents)]

    @r.get("/v1/documents/{doc_id}", response_model=DocumentFull, dependencies=[role("read")],
           responses=responses(401, 403, 404, 503))
    def document(doc_id: str) -> dict:
        """One report's metadata and cleaned text."""
        a = svc.current()
        return doc_out(svc.on_document(doc_id, a.document), with_text=True)

    @r.post("/v1/documents", response_model=UploadOut, status_code=201, dependencies=[role("admin")],
            responses=responses(400, 401, 403, 413, 415, 422, 503))
    def upload(file: list[UploadFile] = File(..., description=f"one report: {described_file_types()}")) -> dict:
        """Add a report: it is checked, ingested and returned with its inferred metadata."""
        a = svc.current()
        if len(file) != 1:
            raise ApiError(400, "one_file_per_upload", f"this request sends {len(file)} files in 'file'; send one "
                           "report per request (nothing was added)")
        file = file[0]
        limit = settings.max_upload_mb * 1024 * 1024
        data = file.file.read(limit + 1)
        name = file.filename or "report"
        try:
            result = a.upload(name, data)
        except uploads.UploadRejected as e:
            status = {"size": 413, "type": 415}.get(e.limit, 400)
            raise ApiError(status, {"size": "too_large", "type": "unsupported_type"}.get(e.limit, "empty_file"),
                           str(e)) from None
        if result.status == "failed":
            raise ApiError(422, "ingest_failed", f"{name} could not be added: {result.reason}. "
                           "Nothing in the index changed.")
        return {"status": result.status, "document": doc_out(result.document) if result.document else None,
                "warnings": result.report.warnings}

    @r.delete("/v1/documents/{doc_id}", response_model=DeletedOut, dependencies=[role("admin")],
              responses=responses(401, 403, 404, 503))
    def delete(doc_id: str) -> dict:
        """Take a report out of the index (its file is kept)."""
        a = svc.current()
        doc = svc.on_document(doc_id, a.remove)
        return {"deleted": doc_id, "title": doc.title}
    return r


def findings(svc: Service, role) -> APIRouter:
    r = APIRouter(tags=["findings"], dependencies=[role("read")])

    @r.get("/v1/findings", response_model=list[Finding], responses=responses(400, 401, 403, 422, 503))
    def findings(force: Annotated[str | None, Query(min_length=1, max_length=100, description="e.g. Hampshire")] = None,
                 kind: Annotated[list[Literal[FINDING_KINDS]], Query(max_length=len(FINDING_KINDS))] = [],  # noqa: B006
                 theme: Annotated[list[Text], Query(max_length=20)] = []) -> list[Finding]:  # noqa: B006
        """The recommendations, areas for improvement, causes of concern, grades and force responses extracted
        from the reports, each an exact span of its report's cleaned text (docs/FINDINGS.md)."""
        a = svc.current()
        return svc.call(lambda: a.findings(force=force, kinds=kind or None, themes=theme))

    @r.get("/v1/brief", response_model=Brief,
           responses=responses(400, 401, 403, 422, 503) | {200: {"content": {
               "application/json": {}, MARKDOWN_MEDIA_TYPE: {"schema": {"type": "string"}},
               DOCX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
    def brief(force: Annotated[str, Query(min_length=1, max_length=100, description="e.g. Cambridgeshire or Cambs")],
              theme: Annotated[list[Text], Query(
                  max_length=20, description="only findings on these themes (part of a name works)")] = [],  # noqa: B006
              since: Annotated[int | None, Query(ge=YEARS[0], le=YEARS[1], description="only findings made in or after")] = None,
              format: BriefFormat = "json"):
        """The fieldwork brief for a force: grades over time, recommendations and areas for improvement with
        their follow-through and latest position, what the force said it did, lines of enquiry; every line cited."""
        a = svc.current()
        b = svc.call(lambda: a.brief(force, themes=theme, since=since))
        if format == "md":
            return Response(to_markdown(b), media_type=f"{MARKDOWN_MEDIA_TYPE}; charset=utf-8")
        if format == "docx":
            name = brief_file_name(b.force, "docx")
            return Response(to_docx(b), media_type=DOCX_MEDIA_TYPE,
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return b
    return r
