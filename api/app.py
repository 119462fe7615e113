"""The REST API: the same `Assistant` over HTTP, with keys, limits and one error shape.

Every error, whatever raised it (validation, auth, a missing document, an oversized body, a route
that does not exist), answers `{"error": {"code", "message"}}` with a 4xx that names the problem;
a 5xx means a bug (api/errors.py). Keys are checked in api/auth.py, the request and response models
are in api/schemas.py, the routes in api/routes.py. Requests run side by side on the one Assistant,
which lets readers share it and serialises writers itself (index/locks.py).
"""
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant import Assistant
from assistant.settings import Settings

from . import errors, routes
from .auth import roles
from .limits import BodyLimit
from .schemas import request_models
from .service import Service



def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The API over `assistant`, or over the index the settings name, opened at start-up."""
    settings = settings or (assistant.settings if assistant else Settings.load())
    svc = Service(assistant)
    _, AskIn, SearchIn, limits = request_models(settings)  # noqa: N806 (classes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if svc.assistant is None:
            a = Assistant.open(settings.index)  # HmiqaError here stops start-up with its message
            a.warm_up()
            svc.assistant = a
        yield

    app = FastAPI(title="hmiqa", version="1", lifespan=lifespan,
                  description="Cited answers from HMIC/HMICFRS police inspection reports. See docs/API.md.")
    q_max, h_max = settings.max_question_chars, settings.max_history
    app.add_middleware(BodyLimit, upload_bytes=settings.max_upload_mb * 1024 * 1024 + 64 * 1024,
                       json_bytes=max(64 * 1024, (q_max * (h_max + 2)) * 4 + 16 * 1024))
    errors.install(app, limits)
    role = roles(settings)
    app.include_router(routes.ops(svc))
    app.include_router(routes.answers(svc, role, AskIn, SearchIn))
    app.include_router(routes.documents(svc, role, settings))
    app.include_router(routes.findings(svc, role))
    return app
