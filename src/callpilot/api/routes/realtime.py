"""The integration guide's real-time API (``/api/realtime``), on the same service as ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request, WebSocket
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from callpilot.api.body import json_body, openapi_body
from callpilot.api.deps import Caller, get_caller
from callpilot.api.schemas import (
    EndCallRequest,
    EndCallResponse,
    StartCallRequest,
    StartCallResponse,
    SuggestionsResponse,
    TranscriptionRequest,
    TranscriptionResponse,
)
from callpilot.api.streaming import resume_position, serve_websocket, sse_response
from callpilot.domain.events import SegmentReceived
from callpilot.service.calls import QUESTION_TYPES, SUGGESTION_TYPES

__all__ = ["router"]

router = APIRouter(prefix="/api/realtime", tags=["realtime (integration guide)"])


@router.post("/call/start", response_model=StartCallResponse)
async def start_call(body: StartCallRequest, caller: Caller = Depends(get_caller)
                     ) -> JSONResponse:
    state, created = await caller.calls.start_call(body, trace_id=caller.trace_id)
    answer = StartCallResponse(status="started" if created else "already_started",
                               session_id=state.call_id, call_id=state.call_id)
    return JSONResponse(answer.model_dump(), status_code=201 if created else 200)


@router.post("/transcription", response_model=TranscriptionResponse,
             openapi_extra=openapi_body(TranscriptionRequest))
async def transcription(body: TranscriptionRequest = Depends(json_body(TranscriptionRequest)),
                        caller: Caller = Depends(get_caller)) -> TranscriptionResponse:
    outcome = await caller.calls.add_segment(body.session_id, body, trace_id=caller.trace_id)
    event = outcome.segment.event
    assert isinstance(event, SegmentReceived)
    return TranscriptionResponse(
        status="duplicate" if outcome.duplicate else "ok", segment_id=event.segment_id,
        seq=outcome.segment.seq, position=outcome.segment.position,
        suggestions_count=outcome.count(SUGGESTION_TYPES), questions_count=outcome.count(QUESTION_TYPES),
        processing_time_ms=outcome.processing_ms,
    )


@router.post("/call/end", response_model=EndCallResponse)
async def end_call(body: EndCallRequest, caller: Caller = Depends(get_caller)
                   ) -> EndCallResponse:
    state, ended_now = await caller.calls.end_call(body.session_id, body.status, trace_id=caller.trace_id)
    return EndCallResponse(status="ended" if ended_now else "already_ended", session_id=state.call_id,
                           call_id=state.call_id, end_status=state.end_status)


@router.get("/suggestions/{session_id}", response_model=SuggestionsResponse)
async def suggestions(session_id: str, caller: Caller = Depends(get_caller)) -> SuggestionsResponse:
    """The suggestions and clarifying questions currently shown for the call (filled by the agent-assist
    analyzers; empty while none is configured)."""
    state = await caller.calls.get_call(session_id)
    assist = state.analyzers.get("assist", {})
    return SuggestionsResponse(session_id=session_id, suggestions=list(assist.get("suggestions", [])),
                               questions=list(assist.get("questions", [])))


@router.get("/stream/{session_id}", response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def stream(session_id: str, request: Request, after: int | None = Query(None, ge=0),
                 last_event_id: str | None = Header(None), caller: Caller = Depends(get_caller)) -> EventSourceResponse:
    """Server-Sent Events of the call: ``id`` is the event's position; reconnect with ``Last-Event-ID``."""
    await caller.runtime.calls.get_call(session_id)
    return sse_response(request, caller.runtime, call_id=session_id, after=resume_position(last_event_id, after))


@router.websocket("/ws/{session_id}")
async def websocket(websocket: WebSocket, session_id: str, after: int | None = Query(None, ge=0)) -> None:
    """The call's events as JSON text frames; the client may send feedback messages."""
    await serve_websocket(websocket, call_id=session_id, after=after)
