"""ASGI middleware: request trace ids, access logs and metrics, and the request-body size limit.

Written as plain ASGI rather than Starlette's BaseHTTPMiddleware, which buffers streaming responses (SSE) and
adds a task per request on the hot path.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from callpilot.api.errors import error_body
from callpilot.core.logging import bind_trace_id, get_logger, new_trace_id
from callpilot.core.metrics import HTTP_LATENCY

__all__ = ["BodySizeLimit", "RequestContext"]

log = get_logger("callpilot.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContext:
    """Binds a trace id (the caller's X-Request-ID, else a new one) for logs and events; logs and times each
    HTTP request by its route template. The query string is never logged (it may carry an API key)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        supplied = _header(scope, b"x-request-id")
        trace_id = supplied if supplied and len(supplied) <= 64 and supplied.isprintable() else new_trace_id()
        bind_trace_id(trace_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message.setdefault("headers", []).append((b"x-request-id", trace_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # The last line of defence: log the details, tell the client only that it failed and the trace id.
            log.error("unhandled_error", path=scope.get("path"), exc_info=exc)
            if scope["type"] != "http" or response_started:
                raise
            await _send_json(send_wrapper, 500, error_body("internal_error", "internal server error"))
        finally:
            if scope["type"] == "http":
                route = scope.get("route")
                template = getattr(route, "path", "unmatched")
                elapsed = time.perf_counter() - started
                HTTP_LATENCY.labels(scope["method"], template, str(status)).observe(elapsed)
                log.info("request", method=scope["method"], route=template, status=status,
                         ms=round(elapsed * 1000, 2))


class BodySizeLimit:
    """413 for bodies over ``max_bytes``, by Content-Length when given, else while the body streams in.

    FastAPI's own ``max_body_size`` was tried: Starlette then answers the Content-Length case with a plain-text
    413 and the chunked case surfaced as a 500 ("Stream consumed"), so clients would not get our JSON error.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.max_bytes:
                await self._reject(send)
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read the body here, up to the limit, and hand it on in one piece.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        await _send_json(send, 413, error_body(
            "payload_too_large", f"request body is larger than the limit of {self.max_bytes} bytes"))


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = orjson.dumps(payload)
    headers: list[Any] = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
