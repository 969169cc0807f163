"""The pages, their static files, and the sign-in that turns the API key into the session cookie."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from callpilot.runtime import Runtime
from callpilot.web.session import COOKIE_NAME, same_origin, session_token, valid_session

__all__ = ["STATIC_DIR", "router", "static_files"]

STATIC_DIR = Path(__file__).parent / "static"
# The pages are static; what changes is data. Revalidating each load keeps an upgraded server's pages fresh.
# The policy says what the pages already do (own scripts and styles only, no inline code, data and streams from
# this origin), so an injected script or a framing page gets nothing; the browser tests fail on a violation.
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["pages"], include_in_schema=False)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


@router.get("/")
async def agent_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "agent.html", headers=_PAGE_HEADERS)


@router.get("/supervisor")
async def supervisor_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "supervisor.html", headers=_PAGE_HEADERS)


class SignIn(BaseModel):
    model_config = {"extra": "forbid"}

    api_key: str = Field(min_length=1, max_length=512)


@router.get("/web/session")
async def session_status(request: Request) -> JSONResponse:
    """Whether this browser is signed in (or no key is configured), so a page knows to ask for the key."""
    settings = _runtime(request).settings
    key = settings.api_key
    signed_in = key is None or valid_session(key, request.cookies.get(COOKIE_NAME),
                                             max_age_seconds=settings.web.session_hours * 3600)
    return JSONResponse({"signed_in": signed_in, "key_required": key is not None,
                         "heartbeat_seconds": settings.streams.heartbeat_seconds})


@router.post("/web/session")
async def sign_in(body: SignIn, request: Request) -> JSONResponse:
    settings = _runtime(request).settings
    key = settings.api_key
    if key is None:
        return JSONResponse({"signed_in": True, "key_required": False})
    if not same_origin(request.headers):  # another site signing this browser in as someone else
        return JSONResponse({"detail": "sign-in from another site's page"}, status_code=403)
    if not secrets.compare_digest(body.api_key.encode(), key.get_secret_value().encode()):
        return JSONResponse({"detail": "wrong API key"}, status_code=401)
    answer = JSONResponse({"signed_in": True, "key_required": True})
    answer.set_cookie(COOKIE_NAME, session_token(key), max_age=int(settings.web.session_hours * 3600),
                      httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
    return answer


@router.delete("/web/session")
async def sign_out() -> Response:
    answer = Response(status_code=204)
    answer.delete_cookie(COOKIE_NAME, path="/")
    return answer


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
