"""Events of the context analyzer, and how they change the call's state."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = ["APPLIERS", "EVENTS", "MAX_ENTITIES", "ContextAnalyzed", "DetectedEntity", "IntentAlternative"]

MAX_ENTITIES = 50
"""The call's state keeps at most this many distinct entities (the most recent ones)."""


class DetectedEntity(BaseModel):
    """An entity found in a segment's (redacted) text: ``value`` normalised, ``start``/``end`` into the text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    value: str
    segment_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class IntentAlternative(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: str
    confidence: float = Field(ge=0, le=1)


class ContextAnalyzed(Event):
    """The call's context changed: the issue, the entities known, and whether a knowledge search can start.

    Emitted only when something changed (a new entity, another issue, a clearly higher confidence, or a
    change in sufficiency or clarification); ``detected_entities`` holds only the entities new with this
    segment, the call's state accumulates them.
    """

    segment_id: str
    detected_issue: str | None = Field(description="an intent of the taxonomy; None while no issue is clear")
    confidence: float = Field(ge=0, le=1)
    alternatives: list[IntentAlternative] = Field(default_factory=list, description="the likeliest intents")
    detected_entities: list[DetectedEntity] = Field(default_factory=list)
    has_sufficient_context: bool
    needs_clarification: bool
    clarifying_reason: str | None = None
    search_query: str | None = Field(None, description="knowledge-base query built from redacted text only")


def _apply_context(analyzers: dict[str, Any], event: ContextAnalyzed, seq: int) -> None:
    previous = analyzers.get("context") or {}
    entities: list[dict[str, Any]] = list(previous.get("detected_entities", []))
    known = {(e["type"], e["value"]) for e in entities}
    for entity in event.detected_entities:
        if (entity.type, entity.value) not in known:
            known.add((entity.type, entity.value))
            entities.append(entity.model_dump())
    analyzers["context"] = {
        "detected_issue": event.detected_issue,
        "confidence": event.confidence,
        "alternatives": [a.model_dump() for a in event.alternatives],
        "detected_entities": entities[-MAX_ENTITIES:],
        "has_sufficient_context": event.has_sufficient_context,
        "needs_clarification": event.needs_clarification,
        "clarifying_reason": event.clarifying_reason,
        "search_query": event.search_query,
        "segment_id": event.segment_id,
        "updated_seq": seq,
    }


EVENTS: tuple[type[Event], ...] = (ContextAnalyzed,)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {ContextAnalyzed: _apply_context}
