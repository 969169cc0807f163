"""The call's audio was stored, with personal data silenced; the event points to it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = ["APPLIERS", "EVENTS", "RecordingStored", "SilencedSpan"]


class SilencedSpan(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    start: float
    end: float
    entity: str = Field(description="what the stored text has in place of the words (e.g. [CARD_NUMBER])")


class RecordingStored(Event):
    uri: str
    format: str
    sample_rate: int
    channels: list[str] = Field(description="the role of each channel, in order")
    duration: float
    silenced: list[SilencedSpan] = Field(default_factory=list)
    redaction: str = Field("silence", description="silence or beep")


def _stored(analyzers: dict[str, Any], event: Any, seq: int) -> None:
    assert isinstance(event, RecordingStored)
    analyzers["recording"] = {"uri": event.uri, "duration": event.duration, "silenced": len(event.silenced),
                              "seq": seq}


EVENTS: tuple[type[Event], ...] = (RecordingStored,)
APPLIERS: dict[type[Event], AnalyzerApplier] = {RecordingStored: _stored}
