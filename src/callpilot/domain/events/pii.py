"""Events of PII redaction, and how they change the call's state.

No event here holds personal data in clear: entity spans point into the stored (redacted) text, and raw
values, when kept at all, are vault tokens (see callpilot.analyzers.pii.vault).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event, Speaker

__all__ = ["APPLIERS", "EVENTS", "OpenNumber", "PiiEntity", "PiiRedacted", "PiiRevealed", "PiiSpan"]


class PiiEntity(BaseModel):
    """One redacted entity; ``start``/``end`` are offsets of its placeholder in the stored segment text."""

    model_config = ConfigDict(frozen=True)

    type: str
    start: int
    end: int
    policy: str
    vault_ref: str | None = Field(None, description="the raw value, sealed with the vault key")


class PiiSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    segment_id: str
    start: int
    end: int


class OpenNumber(BaseModel):
    """A number the speaker is still reading out, over several segments (see callpilot.analyzers.pii.pieces)."""

    model_config = ConfigDict(frozen=True)

    type: str
    digits_sealed: str = Field(description="the digits so far, sealed with the vault key")
    digit_count: int
    pieces: list[PiiSpan]
    last_end: float
    cue_type: str | None = None


class PiiRedacted(Event):
    """Personal data was found in a segment (or a number the speaker was reading out was opened or closed)."""

    segment_id: str
    speaker: Speaker
    entities: list[PiiEntity] = Field(default_factory=list)
    open_number: OpenNumber | None = Field(None, description="the speaker's number still open after this segment")


class PiiRevealed(Event):
    """Someone read a vaulted raw value: the audit record, appended before the value is handed out."""

    segment_id: str
    entity_index: int
    entity_type: str
    purpose: str
    actor: str | None = None


def _redacted(analyzers: dict[str, Any], event: Any, seq: int) -> None:
    assert isinstance(event, PiiRedacted)
    state = _state(analyzers)
    for entity in event.entities:
        state["counts"][entity.type] = state["counts"].get(entity.type, 0) + 1
    vaulted = [e.model_dump() for e in event.entities if e.vault_ref is not None]
    if vaulted:  # what the after-call fields read their personal values from (phone, email, address)
        state.setdefault("vaulted", {})[event.segment_id] = vaulted
    if event.open_number is None:
        state["open_numbers"].pop(event.speaker, None)
    else:
        state["open_numbers"][event.speaker] = event.open_number.model_dump()


def _revealed(analyzers: dict[str, Any], event: Any, seq: int) -> None:
    _state(analyzers)["reveals"] += 1


def _state(analyzers: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = analyzers.setdefault("pii", {"counts": {}, "open_numbers": {}, "reveals": 0,
                                                         "vaulted": {}})
    return state


EVENTS: tuple[type[Event], ...] = (PiiRedacted, PiiRevealed)

# How each event changes ``CallState.analyzers`` (called with that dict, the event and its seq).
APPLIERS: dict[type[Event], AnalyzerApplier] = {PiiRedacted: _redacted, PiiRevealed: _revealed}
