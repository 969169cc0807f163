"""The single mapping from exceptions to HTTP answers. Error bodies name the field and the problem;
a 5xx never says more than that something failed and the trace id to look for in the logs."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from callpilot.analyzers.pii.vault import VaultError
from callpilot.core.errors import (
    AnalyzerError,
    CallAlreadyEnded,
    CallAlreadyExists,
    CallNotFound,
    CallpilotError,
    CallStillLive,
    ConcurrencyConflict,
    InvalidInput,
    KnowledgeBaseError,
    NotFound,
    StaleRevision,
    StorageUnavailable,
)
from callpilot.core.logging import current_trace_id, get_logger

__all__ = ["error_body", "install_error_handlers"]

log = get_logger(__name__)

_STATUS: list[tuple[type[CallpilotError], int, str]] = [
    (CallNotFound, 404, "not_found"),
    (AnalyzerError, 502, "analyzer_failed"),  # an engine (an LLM server) failed a request made on demand
    (CallAlreadyEnded, 409, "call_ended"),
    (CallAlreadyExists, 409, "call_exists"),
    (CallStillLive, 409, "call_live"),
    (StaleRevision, 409, "stale_revision"),
    (ConcurrencyConflict, 409, "conflict"),
    (InvalidInput, 422, "validation_error"),
    (NotFound, 404, "not_found"),
    (KnowledgeBaseError, 422, "bad_document"),
    (StorageUnavailable, 503, "storage_unavailable"),
    (VaultError, 409, "vault_key_mismatch"),
]


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "trace_id": current_trace_id()}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "(body)"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (detail.get("ctx") or {}).get("error", "not valid JSON")
        return JSONResponse(error_body("malformed_json", f"request body is not valid JSON: {reason}"), 400)
    fields = [{"field": _field_name(tuple(e.get("loc", ()))), "problem": str(e.get("msg"))} for e in errors]
    summary = "; ".join(f"{f['field']}: {f['problem']}" for f in fields)
    return JSONResponse(error_body("validation_error", summary, fields), 422)


async def _domain(request: Request, exc: CallpilotError) -> JSONResponse:
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            fields = [{"field": exc.field, "problem": str(exc)}] if isinstance(exc, InvalidInput) and exc.field \
                else None
            if isinstance(exc, AnalyzerError):  # its message says which server failed how, never transcript text
                log.warning("request_failed", error=str(exc), status=status)
                return JSONResponse(error_body(code, f"{exc.category}: {exc}"), status)
            if status >= 500:
                log.warning("request_failed", error=str(exc), status=status)
                return JSONResponse(error_body(code, "the event store is unavailable; retry later"), status)
            return JSONResponse(error_body(code, str(exc), fields), status)
    return await _unexpected(request, exc)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
            413: "payload_too_large"}.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", path=request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal server error"), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(CallpilotError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    # Exceptions nobody expected are answered by RequestContext (the outermost middleware), so that the
    # 500 also carries the X-Request-ID header.
