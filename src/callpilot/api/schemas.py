"""Request and response bodies of the API (the service's command models are reused for requests)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from callpilot.service.calls import ID_PATTERN, NewCall, NewSegment

__all__ = [
    "EndCallRequest",
    "EndCallResponse",
    "EventPage",
    "FeedbackRequest",
    "SegmentCreated",
    "StartCallRequest",
    "StartCallResponse",
    "SuggestionsResponse",
    "TranscriptionRequest",
    "TranscriptionResponse",
]

END_STATUS_PATTERN = r"^[a-z][a-z_]{0,31}$"


class StartCallRequest(NewCall):
    pass


class StartCallResponse(BaseModel):
    status: Literal["started", "already_started"]
    session_id: str
    call_id: str


class TranscriptionRequest(NewSegment):
    session_id: str = Field(pattern=ID_PATTERN)


class TranscriptionResponse(BaseModel):
    status: Literal["ok", "duplicate"]
    segment_id: str
    seq: int
    position: int
    suggestions_count: int
    questions_count: int
    processing_time_ms: float


class EndCallRequest(BaseModel):
    model_config = {"extra": "forbid"}

    session_id: str = Field(pattern=ID_PATTERN)
    status: str = Field("completed", pattern=END_STATUS_PATTERN)


class EndCallBody(BaseModel):
    model_config = {"extra": "forbid"}

    status: str = Field("completed", pattern=END_STATUS_PATTERN)


class EndCallResponse(BaseModel):
    status: Literal["ended", "already_ended"]
    session_id: str
    call_id: str
    end_status: str | None


class SuggestionsResponse(BaseModel):
    session_id: str
    suggestions: list[dict[str, Any]]
    questions: list[dict[str, Any]]


class SegmentCreated(BaseModel):
    duplicate: bool
    segment: dict[str, Any]
    produced: list[dict[str, Any]]
    processing_time_ms: float


class FeedbackRequest(BaseModel):
    model_config = {"extra": "forbid"}

    suggestion_id: str = Field(min_length=1, max_length=128)
    feedback: Literal["helpful", "not_helpful", "irrelevant", "clicked"]
    agent_id: str | None = Field(None, max_length=128)
    comment: str | None = Field(None, max_length=2000)


class EventPage(BaseModel):
    events: list[dict[str, Any]]
    next_after: int = Field(description="pass as ?after= to get the next page")
    more: bool


class RevealRequest(BaseModel):
    model_config = {"extra": "forbid"}

    segment_id: str = Field(min_length=1, max_length=128)
    entity_index: int = Field(ge=0)
    purpose: str = Field(min_length=3, max_length=500, description="why the raw value is needed (audited)")
    actor: str | None = Field(None, max_length=128, description="who asks (audited)")


class RevealResponse(BaseModel):
    type: str
    value: str
