"""One error shape for every failure: `{"error": {"code", "message"}}` with a 4xx that names the problem;
503 `store_unavailable` when the Chroma server is unreachable, 507 `insufficient_storage` when the
index's disk is full; any other 5xx means a bug, and no traceback reaches the client."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import StoreFull, StoreUnavailable


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


def responses(*codes: int) -> dict:
    """The documented error responses of a route."""
    return {c: {"model": ErrorBody} for c in codes}


def install(app: FastAPI, limits: str) -> None:
    """Turn every exception into the one shape; `limits` is told to a client whose request was invalid."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, e: ApiError):
        return error_json(e.status, e.code, e.message, e.headers)

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, e: StoreUnavailable):
        return error_json(503, "store_unavailable", str(e), {"Retry-After": "10"})

    @app.exception_handler(StoreFull)
    async def _store_full(request: Request, e: StoreFull):
        return error_json(507, "insufficient_storage", str(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        parts = []
        for err in e.errors()[:5]:
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body",)) or "body"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_json(422, "invalid_request", "; ".join(parts) + f". Limits: {limits}.")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        message = {404: f"no such endpoint {request.url.path}; see /docs",
                   405: f"{request.method} is not allowed on {request.url.path}; see /docs"}.get(e.status_code, str(e.detail))
        return error_json(e.status_code, code, message)

    @app.exception_handler(Exception)
    async def _bug(request: Request, e: Exception):
        return error_json(500, "internal_error", f"hmiqa failed unexpectedly ({type(e).__name__}); the server log has details")
