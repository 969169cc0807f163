"""Dependencies every route resolves: the runtime and the caller's identity (the one place auth plugs in).

All are ``async def``: FastAPI runs plain ``def`` dependencies in a thread pool, which cost a fifth of the
server's CPU per request in the benchmark profile.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, WebSocket
from starlette.datastructures import Headers, QueryParams

from callpilot.core.logging import current_trace_id
from callpilot.runtime import Runtime
from callpilot.service.calls import CallService

__all__ = ["Identity", "authenticate", "get_calls", "get_identity", "get_runtime", "trace_id"]


@dataclass(frozen=True)
class Identity:
    subject: str


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_calls(runtime: Runtime = Depends(get_runtime)) -> CallService:
    return runtime.calls


def authenticate(runtime: Runtime, headers: Headers, query: QueryParams) -> Identity | None:
    """The caller's identity, or None when the credentials are missing or wrong.

    Accepted: ``X-API-Key: KEY``, ``Authorization: Bearer KEY``, and for browsers' EventSource/WebSocket
    (which cannot set headers) ``?api_key=KEY``. Without a configured key every caller is "anonymous"; the
    CLI then refuses to bind to anything but localhost.
    """
    expected = runtime.settings.api_key
    if expected is None:
        return Identity("anonymous")
    auth = headers.get("authorization", "")
    offered = headers.get("x-api-key") or (auth[7:] if auth.lower().startswith("bearer ") else None) \
        or query.get("api_key")
    if offered and secrets.compare_digest(offered.encode(), expected.get_secret_value().encode()):
        return Identity("api-key")
    return None


async def get_identity(request: Request, runtime: Runtime = Depends(get_runtime)) -> Identity:
    identity = authenticate(runtime, request.headers, request.query_params)
    if identity is None:
        raise HTTPException(401, "missing or invalid API key (send X-API-Key or Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})
    return identity


async def get_ws_identity(websocket: WebSocket) -> Identity | None:
    runtime: Runtime = websocket.app.state.runtime
    return authenticate(runtime, websocket.headers, websocket.query_params)


async def trace_id() -> str | None:
    return current_trace_id()
