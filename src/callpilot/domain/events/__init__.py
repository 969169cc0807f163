"""Every fact about a call is one of these immutable, past-tense, versioned events.

``base`` holds the event base class, the envelope and the core call events; each analyzer area keeps its own
events in a module here (``pii``, ``rules``, ``sentiment``, ``signals``, ``context``, ``assist``, ``aftercall``,
``customer``, ``recording``) with ``EVENTS`` and the ``APPLIERS`` that fold them into
``CallState.analyzers``. This module
registers them all, so that any stored event can be decoded by name.
"""

from __future__ import annotations

from callpilot.domain.events import aftercall, assist, context, customer, pii, recording, rules, sentiment, signals
from callpilot.domain.events.base import (
    CORE_EVENTS,
    EVENT_TYPES,
    UPCASTERS,
    AnalyzerApplier,
    AnalyzerFailed,
    CallEnded,
    CallStarted,
    Event,
    RecordedEvent,
    SegmentReceived,
    SegmentRedactionAmended,
    Speaker,
    SuggestionFeedbackGiven,
    TalkStats,
    TalkStatsUpdated,
    decode_event,
)

__all__ = [
    "ANALYZER_APPLIERS",
    "CORE_EVENTS",
    "EVENT_TYPES",
    "UPCASTERS",
    "AnalyzerApplier",
    "AnalyzerFailed",
    "CallEnded",
    "CallStarted",
    "Event",
    "RecordedEvent",
    "SegmentReceived",
    "SegmentRedactionAmended",
    "Speaker",
    "SuggestionFeedbackGiven",
    "TalkStats",
    "TalkStatsUpdated",
    "decode_event",
]

_AREAS = (pii, rules, sentiment, signals, context, assist, aftercall, customer, recording)

ANALYZER_APPLIERS: dict[type[Event], AnalyzerApplier] = {}
for _area in _AREAS:
    for _cls in _area.EVENTS:
        if _cls.type_name() in EVENT_TYPES:
            raise RuntimeError(f"event type {_cls.type_name()} is defined twice")
        EVENT_TYPES[_cls.type_name()] = _cls
    ANALYZER_APPLIERS.update(_area.APPLIERS)
