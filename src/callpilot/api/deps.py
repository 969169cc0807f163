"""What every route resolves: the caller (identity, runtime, trace id). Authentication plugs in here, once.

Dependencies are ``async def``: FastAPI runs plain ``def`` dependencies in a thread pool, which cost a fifth of
the server's CPU per request in the benchmark profile; and there is one of them, not several, because
dependency resolution itself is a visible cost per request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request, WebSocket
from starlette.datastructures import Headers, QueryParams

from callpilot.core.logging import current_trace_id
from callpilot.runtime import Runtime
from callpilot.service.calls import CallService
from callpilot.web.session import COOKIE_NAME, SAFE_METHODS, same_origin, valid_session

__all__ = ["Caller", "Identity", "authenticate", "get_caller", "get_ws_identity"]


@dataclass(frozen=True, slots=True)
class Identity:
    subject: str


@dataclass(frozen=True, slots=True)
class Caller:
    identity: Identity
    runtime: Runtime
    trace_id: str | None

    @property
    def calls(self) -> CallService:
        return self.runtime.calls


def authenticate(runtime: Runtime, headers: Headers, query: QueryParams,
                 cookies: dict[str, str] | None = None, *, unsafe: bool = False) -> Identity | None:
    """The caller's identity, or None when the credentials are missing or wrong.

    Accepted: ``X-API-Key: KEY``, ``Authorization: Bearer KEY``, and for browsers' EventSource/WebSocket
    (which cannot set headers) ``?api_key=KEY``, or the pages' session cookie (see
    :mod:`callpilot.web.session`). A cookie counts only while it is young enough and, for an ``unsafe``
    request (one that changes something, or a WebSocket), only from a page of this server (its Origin).
    Without a configured key every caller is "anonymous"; the CLI then refuses to bind to anything but
    localhost.
    """
    expected = runtime.settings.api_key
    if expected is None:
        return Identity("anonymous")
    auth = headers.get("authorization", "")
    offered = headers.get("x-api-key") or (auth[7:] if auth.lower().startswith("bearer ") else None) \
        or query.get("api_key")
    if offered and secrets.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        return Identity("api-key")
    max_age = runtime.settings.web.session_hours * 3600
    if cookies and valid_session(expected, cookies.get(COOKIE_NAME), max_age_seconds=max_age) \
            and (not unsafe or same_origin(headers)):
        return Identity("web-session")
    return None


async def get_caller(request: Request) -> Caller:
    runtime: Runtime = request.app.state.runtime
    identity = authenticate(runtime, request.headers, request.query_params, request.cookies,
                            unsafe=request.method not in SAFE_METHODS)
    if identity is None:
        raise HTTPException(401, "missing or invalid API key (send X-API-Key or Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})
    return Caller(identity=identity, runtime=runtime, trace_id=current_trace_id())


async def get_ws_identity(websocket: WebSocket) -> Identity | None:
    runtime: Runtime = websocket.app.state.runtime
    return authenticate(runtime, websocket.headers, websocket.query_params, websocket.cookies, unsafe=True)
