"""The resource API (``/v1``): calls, their segments and events, and the supervisor stream of all calls."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket
from fastapi.responses import JSONResponse, Response

from callpilot.api.body import json_body, openapi_body
from callpilot.api.deps import Caller, get_caller
from callpilot.api.routes.feedback import record_feedback
from callpilot.api.schemas import (
    EndCallBody,
    EventPage,
    FeedbackRequest,
    RevealRequest,
    RevealResponse,
    SegmentCreated,
)
from callpilot.api.streaming import resume_position, serve_websocket, sse_response
from callpilot.domain.call import CallState, CallSummary, Segment
from callpilot.service.calls import NewCall, NewSegment

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["calls"])


@router.post("/calls", response_model=CallState, status_code=201)
async def create_call(body: NewCall, caller: Caller = Depends(get_caller)) -> JSONResponse:
    state, created = await caller.calls.start_call(body, trace_id=caller.trace_id)
    return JSONResponse(state.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/calls", response_model=list[CallSummary])
async def list_calls(status_: Literal["live", "ended"] | None = Query(None, alias="status"),
                     limit: int = Query(100, ge=1, le=1000), caller: Caller = Depends(get_caller)) -> list[CallSummary]:
    return await caller.calls.list_calls(status=status_, limit=limit)


@router.get("/calls/{call_id}", response_model=CallState)
async def get_call(call_id: str, caller: Caller = Depends(get_caller)) -> CallState:
    return await caller.calls.get_call(call_id)


@router.post("/calls/{call_id}/segments", response_model=SegmentCreated, status_code=201,
             openapi_extra=openapi_body(NewSegment))
async def add_segment(call_id: str, body: NewSegment = Depends(json_body(NewSegment)),
                      caller: Caller = Depends(get_caller)
                      ) -> JSONResponse:
    outcome = await caller.calls.add_segment(call_id, body, trace_id=caller.trace_id)
    answer = SegmentCreated(duplicate=outcome.duplicate, segment=outcome.segment.to_wire(),
                            produced=[e.to_wire() for e in outcome.produced],
                            processing_time_ms=outcome.processing_ms)
    return JSONResponse(answer.model_dump(), status_code=200 if outcome.duplicate else 201)


@router.get("/calls/{call_id}/segments", response_model=list[Segment])
async def list_segments(call_id: str, caller: Caller = Depends(get_caller)) -> list[Segment]:
    return (await caller.calls.get_call(call_id)).segments


@router.post("/calls/{call_id}/end", response_model=CallState)
async def end_call(call_id: str, body: EndCallBody | None = None, caller: Caller = Depends(get_caller)) -> CallState:
    state, _ended = await caller.calls.end_call(call_id, (body or EndCallBody()).status, trace_id=caller.trace_id)
    return state


@router.post("/calls/{call_id}/feedback", status_code=201)
async def feedback(call_id: str, body: FeedbackRequest, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    return await record_feedback(caller.calls, call_id, body)


@router.post("/calls/{call_id}/pii/reveal", response_model=RevealResponse)
async def reveal_pii(call_id: str, body: RevealRequest, caller: Caller = Depends(get_caller)) -> RevealResponse:
    """The raw value of a vaulted entity (a phone number for the CRM, ...). Every read is recorded in the call's
    log as a PiiRevealed event, with the purpose and actor given."""
    entity_type, value = await caller.calls.reveal_pii(call_id, body.segment_id, body.entity_index,
                                                       purpose=body.purpose, actor=body.actor,
                                                       trace_id=caller.trace_id)
    return RevealResponse(type=entity_type, value=value)


@router.get("/calls/{call_id}/events", response_model=EventPage,
            responses={200: {"content": {"text/event-stream": {}}}})
async def call_events(call_id: str, request: Request, after: int | None = Query(None, ge=0),
                      limit: int = Query(500, ge=1, le=5000), last_event_id: str | None = Header(None),
                      caller: Caller = Depends(get_caller)) -> Response:
    """A JSON page of the call's events after ``after`` (a position), or, with ``Accept: text/event-stream``,
    the live SSE stream from there."""
    await caller.runtime.calls.get_call(call_id)
    start = resume_position(last_event_id, after)
    if "text/event-stream" in request.headers.get("accept", ""):
        return sse_response(request, caller.runtime, call_id=call_id, after=start)
    events = await caller.runtime.log.read(after_position=start, limit=limit + 1, call_id=call_id)
    page = events[:limit]
    return JSONResponse(EventPage(events=[e.to_wire() for e in page],
                                    next_after=page[-1].position if page else start,
                                    more=len(events) > limit).model_dump())


@router.websocket("/calls/{call_id}/events/ws")
async def call_events_ws(websocket: WebSocket, call_id: str, after: int | None = Query(None, ge=0)) -> None:
    await serve_websocket(websocket, call_id=call_id, after=after)


@router.get("/stream", responses={200: {"content": {"text/event-stream": {}}}})
async def supervisor_stream(request: Request, after: int | None = Query(None, ge=0),
                            last_event_id: str | None = Header(None), caller: Caller = Depends(get_caller)) -> Response:
    """Every event of every call (the supervisor's view), as SSE. Without ``after`` it starts at the live
    edge; pass ``after=0`` for the whole history."""
    start = resume_position(last_event_id, after) if (last_event_id or after is not None) \
        else await caller.runtime.log.last_position()
    return sse_response(request, caller.runtime, call_id=None, after=start)


@router.websocket("/stream/ws")
async def supervisor_ws(websocket: WebSocket, after: int | None = Query(None, ge=0)) -> None:
    """Every call's events (starts at the live edge; ``after=0`` for the whole history)."""
    await serve_websocket(websocket, call_id=None, after=after)
