"""The REST API: the same `Assistant` over HTTP, with keys, limits and one error shape.

Every error, whatever raised it (validation, auth, a missing document, an oversized body, a route
that does not exist), answers `{"error": {"code", "message"}}` with a 4xx that names the problem;
a 5xx means a bug. Calls into the Assistant are serialised by a lock: its SQLite catalog and the
embedding model are shared by the worker threads, and the model uses both cores anyway.
"""

import re
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import KINDS, PROGRAMMES, Assistant, Finding, HmiqaError, Passage, uploads
from assistant.brief import Brief, to_docx, to_markdown
from assistant.records import Answer
from assistant.settings import Settings

from .limits import BodyLimit

DOC_ID_RE = re.compile(r"^[0-9a-f]{16}$")
K_MAX_ASK, K_MAX_SEARCH = 20, 50
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: unauthorized, forbidden, invalid_request, not_found, …")
    message: str = Field(description="what went wrong and what to do, in plain English")


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_json(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _responses(*codes: int) -> dict:
    return {c: {"model": ErrorBody} for c in codes}


class DocumentOut(BaseModel):
    doc_id: str
    source: str = Field(description="the file name the document was ingested from")
    url: str | None = None
    title: str
    forces: list[str]
    year: int | None
    published: str | None
    inspection_year: int | None
    period: str | None
    programme: str | None
    kind: str | None
    inspectorate: str | None
    n_chunks: int
    pages: list[int]
    sections: list[dict]
    metadata_confidence: dict[str, dict]
    warnings: list[str]


class DocumentFull(DocumentOut):
    text: str = Field(description="the cleaned text; citations' start/end are offsets into it")


class UploadOut(BaseModel):
    status: Literal["added", "replaced", "unchanged", "duplicate"]
    document: DocumentOut | None
    warnings: list[str]


class DeletedOut(BaseModel):
    deleted: str
    title: str


class SearchOut(BaseModel):
    question: str
    filters: dict
    passages: list[Passage]


def _doc_out(d, with_text: bool = False) -> dict:
    out = d.to_dict(with_text=with_text)
    out["source"] = Path(d.source).name  # not the server's paths
    return out


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The API over `assistant`, or over the index the settings name, opened at start-up."""
    settings = settings or (assistant.settings if assistant else Settings.load())
    state: dict = {"assistant": assistant}
    lock = threading.RLock()
    q_max, h_max = settings.max_question_chars, settings.max_history
    Question = Annotated[str, StringConstraints(min_length=1, max_length=q_max)]
    Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]

    class FiltersIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        forces: list[Name] = Field(default_factory=list, max_length=50,
                                   description="force names; short forms such as 'Cambs' work")
        year_from: int | None = Field(None, ge=1800, le=2200)
        year_to: int | None = Field(None, ge=1800, le=2200)
        programmes: list[Name] = Field(default_factory=list, max_length=20,
                                       description="inspection programmes: " + ", ".join(PROGRAMMES))
        kinds: list[Name] = Field(default_factory=list, max_length=10,
                                  description="kinds of publication: " + ", ".join(KINDS))

    class AskIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        question: Question
        filters: FiltersIn | None = Field(None, description="win over filters inferred from the question")
        history: list[Question] = Field(default_factory=list, max_length=h_max,
                                        description="earlier questions of the conversation, oldest first")
        mode: Literal["extractive", "llm"] = "extractive"
        k: int = Field(8, ge=1, le=K_MAX_ASK, description="passages to read")

    class SearchIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        question: Question
        filters: FiltersIn | None = None
        k: int = Field(8, ge=1, le=K_MAX_SEARCH)
        retriever: Literal["hybrid", "dense", "bm25"] | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state["assistant"] is None:
            a = Assistant.open(settings.index)  # HmiqaError here stops start-up with its message
            a.warm_up()
            state["assistant"] = a
        yield

    app = FastAPI(title="hmiqa", version="1", lifespan=lifespan,
                  description="Cited answers from HMIC/HMICFRS police inspection reports. See docs/API.md.")
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_mb * 1024 * 1024 + 64 * 1024,
                       json_bytes=max(64 * 1024, (q_max * (h_max + 2)) * 4 + 16 * 1024))

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, e: ApiError):
        return error_json(e.status, e.code, e.message, e.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        parts = []
        for err in e.errors()[:5]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body",)) or "body"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_json(422, "invalid_request", "; ".join(parts) + f". Limits: question ≤ {q_max} characters, "
                          f"history ≤ {h_max} turns, k 1–{K_MAX_ASK} for ask and 1–{K_MAX_SEARCH} for search.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        message = {404: f"no such endpoint {request.url.path}; see /docs",
                   405: f"{request.method} is not allowed on {request.url.path}; see /docs"}.get(e.status_code, str(e.detail))
        return error_json(e.status_code, code, message)

    @app.exception_handler(Exception)
    async def _bug(request: Request, e: Exception):  # still the one shape, and no traceback to the client
        return error_json(500, "internal_error", f"hmiqa failed unexpectedly ({type(e).__name__}); the server log has details")

    def current() -> Assistant:
        if state["assistant"] is None:
            raise ApiError(503, "not_ready", "the index and model are still loading; retry in a few seconds")
        return state["assistant"]

    def role(needed: str):
        read_keys, admin_keys = settings.keys("api_keys"), settings.keys("admin_keys")

        def check(request: Request) -> None:
            if not read_keys and not admin_keys:
                return  # no keys configured: `hmiqa serve` binds 127.0.0.1 only
            header = request.headers.get("authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            challenge = {"WWW-Authenticate": "Bearer"}
            if not token:
                raise ApiError(401, "unauthorized", "send an API key as 'Authorization: Bearer <key>'", challenge)
            if token not in read_keys | admin_keys:
                raise ApiError(401, "unauthorized", "that API key is not valid", challenge)
            if needed == "admin" and token not in admin_keys:
                raise ApiError(403, "forbidden", "this key may read but not change documents; use an admin key")
        return Depends(check)

    def filters_of(a: Assistant, f) -> object:
        if f is None:
            return None
        return a.filters(forces=f.forces, year_from=f.year_from, year_to=f.year_to, programmes=f.programmes,
                         kinds=f.kinds)

    def call(fn):
        with lock:
            try:
                return fn()
            except HmiqaError as e:
                raise ApiError(400, "bad_request", str(e)) from None

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses=_responses(503))
    def readyz() -> dict:
        """The index is open and the model loaded: answers will come without a cold start."""
        a = current()
        return {"status": "ready", "documents": len(call(a.documents)), **a.store()}

    @app.post("/v1/ask", response_model=Answer, tags=["answers"], dependencies=[role("read")],
              responses=_responses(400, 401, 403, 413, 422, 503))
    def ask(body: AskIn) -> Answer:
        """A cited answer: every sentence quoted from a report, each citation with its quote and span."""
        a = current()
        return call(lambda: a.ask(body.question, filters=filters_of(a, body.filters), history=body.history,
                                  mode=body.mode, k=body.k))

    @app.post("/v1/search", response_model=SearchOut, tags=["answers"], dependencies=[role("read")],
              responses=_responses(400, 401, 403, 413, 422, 503))
    def search(body: SearchIn) -> dict:
        """The passages that best match a question (hybrid BM25 + dense by default), with their scores."""
        a = current()

        def run():
            f = filters_of(a, body.filters)
            return {"question": body.question, "filters": f.to_dict() if f else {},
                    "passages": a.search(body.question, k=body.k, filters=f, retriever=body.retriever)}
        return call(run)

    @app.get("/v1/documents", response_model=list[DocumentOut], tags=["documents"], dependencies=[role("read")],
             responses=_responses(401, 403, 503))
    def documents() -> list[dict]:
        """Every indexed report with its inferred metadata and passage count (no text)."""
        a = current()
        return [_doc_out(d) for d in call(a.documents)]

    def on_document(doc_id: str, fn):
        """`fn(doc_id)` for a well-formed id of an indexed document; anything else is a 404."""
        if not DOC_ID_RE.match(doc_id):
            raise ApiError(404, "not_found", f"no document with id '{doc_id[:40]}'; ids are 16 hex characters "
                           "from GET /v1/documents")
        with lock:
            try:
                return fn(doc_id)
            except HmiqaError as e:
                raise ApiError(404, "not_found", str(e)) from None

    @app.get("/v1/documents/{doc_id}", response_model=DocumentFull, tags=["documents"],
             dependencies=[role("read")], responses=_responses(401, 403, 404, 503))
    def document(doc_id: str) -> dict:
        """One report's metadata and cleaned text."""
        a = current()
        return _doc_out(on_document(doc_id, a.document), with_text=True)

    @app.post("/v1/documents", response_model=UploadOut, status_code=201, tags=["documents"],
              dependencies=[role("admin")], responses=_responses(400, 401, 403, 413, 415, 422, 503))
    def upload(file: UploadFile = File(..., description="PDF, TXT, HTML, Markdown or DOCX")) -> dict:
        """Add a report: it is checked, ingested and returned with its inferred metadata."""
        a = current()
        limit = settings.max_upload_mb * 1024 * 1024
        data = file.file.read(limit + 1)
        name = file.filename or "report"
        with lock:
            try:
                result = a.upload(name, data)
            except uploads.UploadRejected as e:
                status = {"size": 413, "type": 415}.get(e.limit, 400)
                raise ApiError(status, {"size": "too_large", "type": "unsupported_type"}.get(e.limit, "empty_file"),
                               str(e)) from None
            if result.status == "failed":
                raise ApiError(422, "ingest_failed", f"{name} could not be added: {result.reason}. "
                               "Nothing in the index changed.")
            return {"status": result.status, "document": _doc_out(result.document) if result.document else None,
                    "warnings": result.report.warnings}

    @app.get("/v1/findings", response_model=list[Finding], tags=["findings"], dependencies=[role("read")],
             responses=_responses(400, 401, 403, 422, 503))
    def findings(force: Annotated[str | None, Query(min_length=1, max_length=100, description="e.g. Hampshire")] = None,
                 kind: Annotated[list[Literal["recommendation", "area_for_improvement", "cause_of_concern", "judgment",
                                              "response"]], Query(max_length=5)] = [],  # noqa: B006
                 theme: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
                                  Query(max_length=20)] = []) -> list[Finding]:  # noqa: B006
        """The recommendations, areas for improvement, causes of concern, grades and force responses extracted
        from the reports, each an exact span of its report's cleaned text (docs/FINDINGS.md)."""
        a = current()
        return call(lambda: a.findings(force=force, kinds=kind or None, themes=theme))

    @app.get("/v1/brief", response_model=Brief, tags=["findings"], dependencies=[role("read")],
             responses=_responses(400, 401, 403, 422, 503) | {200: {"content": {
                 "application/json": {}, "text/markdown": {"schema": {"type": "string"}},
                 DOCX: {"schema": {"type": "string", "format": "binary"}}}}})
    def brief(force: Annotated[str, Query(min_length=1, max_length=100, description="e.g. Cambridgeshire or Cambs")],
              theme: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]], Query(
                  max_length=20, description="only findings on these themes (part of a name works)")] = [],  # noqa: B006
              since: Annotated[int | None, Query(ge=1800, le=2200, description="only findings made in or after")] = None,
              format: Literal["json", "md", "docx"] = "json"):
        """The fieldwork brief for a force: grades over time, recommendations and areas for improvement with
        their follow-through and latest position, what the force said it did, lines of enquiry; every line cited."""
        a = current()
        b = call(lambda: a.brief(force, themes=theme, since=since))
        if format == "md":
            return Response(to_markdown(b), media_type="text/markdown; charset=utf-8")
        if format == "docx":
            name = f"brief-{b.force.lower().replace(' ', '-')}.docx"
            return Response(to_docx(b), media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return b

    @app.delete("/v1/documents/{doc_id}", response_model=DeletedOut, tags=["documents"],
                dependencies=[role("admin")], responses=_responses(401, 403, 404, 503))
    def delete(doc_id: str) -> dict:
        """Take a report out of the index (its file is kept)."""
        a = current()
        doc = on_document(doc_id, a.remove)
        return {"deleted": doc_id, "title": doc.title}

    return app
