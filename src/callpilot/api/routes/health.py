"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from callpilot.core.errors import EventLogError
from callpilot.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The process can serve: its event store answers."""
    runtime: Runtime = request.app.state.runtime
    try:
        position = await runtime.log.last_position()
    except EventLogError:
        return JSONResponse({"status": "unavailable", "checks": {"event_log": "unreachable"}}, 503)
    return JSONResponse({"status": "ready", "checks": {"event_log": "ok"}, "last_position": position,
                           "background_queue_depth": runtime.calls.work_queue.depth(),
                           "stream_subscribers": runtime.hub.count()})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
