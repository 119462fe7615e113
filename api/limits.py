"""Request body limits, enforced before the body is parsed: 413 with the one error shape."""
from __future__ import annotations

import json


class BodyLimit:
    """Pure ASGI middleware: uploads may be `upload_bytes`, everything else `json_bytes`."""

    def __init__(self, app, upload_bytes: int, json_bytes: int):
        self.app, self.upload_bytes, self.json_bytes = app, upload_bytes, json_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        upload = scope["path"].rstrip("/") == "/v1/documents"
        limit = self.upload_bytes if upload else self.json_bytes
        what = "an upload" if upload else "a request body"
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return await _reject(send, 400, "bad_request", "Content-Length is not a number")
            if too_big:
                return await _reject(send, 413, "too_large", f"{what} may be at most {limit:,} bytes")
            return await self.app(scope, receive, send)
        # no length given (chunked): read up to the limit, then hand the body on
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await _reject(send, 413, "too_large", f"{what} may be at most {limit:,} bytes")
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.app(scope, replay, send)


async def _reject(send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
