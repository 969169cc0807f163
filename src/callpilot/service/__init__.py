"""Use cases shared by every API surface (integration API, /v1 resources, WebSocket messages)."""

from callpilot.service.calls import CallService, NewCall, NewSegment, SegmentOutcome
from callpilot.service.states import CallStates

__all__ = ["CallService", "CallStates", "NewCall", "NewSegment", "SegmentOutcome"]
