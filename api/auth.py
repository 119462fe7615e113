"""API keys: none configured means loopback only (`hmiqa serve` binds 127.0.0.1); otherwise a read key
may ask and search, an admin key may also add and delete documents."""

from typing import Callable

from fastapi import Depends, Request

from assistant.settings import Settings

from .errors import ApiError


def roles(settings: Settings) -> Callable[[str], object]:
    """`role("read")` or `role("admin")`: the dependency a route needs."""
    read_keys, admin_keys = settings.keys("api_keys"), settings.keys("admin_keys")

    def role(needed: str):
        def check(request: Request) -> None:
            if not read_keys and not admin_keys:
                return
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
    return role
