"""Events of the rules analyzer, and how they change the call's state."""

from __future__ import annotations

from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = ["APPLIERS", "EVENTS"]

EVENTS: tuple[type[Event], ...] = ()

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {}

