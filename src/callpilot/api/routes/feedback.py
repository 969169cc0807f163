"""Suggestion feedback arriving over a WebSocket message or REST, stored as an event."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from callpilot.api.schemas import FeedbackRequest
from callpilot.core.errors import InvalidInput
from callpilot.core.logging import current_trace_id
from callpilot.domain.events import SuggestionFeedbackGiven
from callpilot.service.calls import CallService

__all__ = ["record_feedback", "websocket_messages"]


async def record_feedback(calls: CallService, call_id: str, body: FeedbackRequest) -> dict[str, Any]:
    recorded = await calls.give_feedback(call_id, SuggestionFeedbackGiven(**body.model_dump()),
                                         trace_id=current_trace_id())
    return {"type": "feedback_recorded", "seq": recorded.seq, "position": recorded.position}


def websocket_messages(calls: CallService, call_id: str | None) -> Any:
    """The handler for client messages on a call's WebSocket (``{"type": "feedback", ...}``)."""

    async def handle(message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") != "feedback":
            return {"type": "error", "code": "unknown_type",
                    "message": f"unknown message type {message.get('type')!r} (expected 'feedback' or 'ping')"}
        if call_id is None:
            return {"type": "error", "code": "not_here", "message": "send feedback on the call's own stream"}
        try:
            body = FeedbackRequest(**{k: v for k, v in message.items() if k != "type"})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(problems) from None
        return await record_feedback(calls, call_id, body)

    return handle
