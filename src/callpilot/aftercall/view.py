"""What the after-call engines read: the call's final (redacted) segments by index, with the entities found
in each, the vaulted personal values, and the live analyzers' conclusions, all from the call's state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from callpilot.analyzers.context.entities import Entity, EntityExtractor
from callpilot.domain.call import CallState

__all__ = ["CallView", "ViewSegment", "Vaulted"]

_PLACEHOLDER = re.compile(r"\[(?P<type>[A-Z][A-Z_]*)(?: [^\]]*)?\]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Vaulted:
    """A redacted personal value in a segment: ``text[start:end]`` is its placeholder."""

    type: str
    start: int
    end: int
    vault_ref: str


@dataclass(slots=True)
class ViewSegment:
    index: int
    segment_id: str
    speaker: str
    text: str
    start: float
    end: float
    entities: list[Entity] = field(default_factory=list)
    vaulted: list[Vaulted] = field(default_factory=list)

    @property
    def words(self) -> int:
        return len(self.text.split())

    def placeholders(self) -> list[tuple[str, int, int]]:
        return [(m.group("type"), m.start(), m.end()) for m in _PLACEHOLDER.finditer(self.text)]


@dataclass(slots=True)
class CallView:
    call_id: str
    segments: list[ViewSegment]
    analyzers: dict[str, Any]
    call_date: date | None
    queue: str | None = None

    @classmethod
    def of(cls, call: CallState, extractor: EntityExtractor) -> CallView:
        vaulted = (call.analyzers.get("pii") or {}).get("vaulted", {})
        segments = []
        for index, seg in enumerate(call.segments):
            segments.append(ViewSegment(
                index=index, segment_id=seg.segment_id, speaker=seg.speaker, text=seg.text, start=seg.start,
                end=seg.end, entities=extractor.extract(seg.text),
                vaulted=[Vaulted(v["type"], v["start"], v["end"], v["vault_ref"])
                         for v in vaulted.get(seg.segment_id, ())],
            ))
        return cls(call_id=call.call_id, segments=segments, analyzers=call.analyzers,
                   call_date=_call_date(call), queue=call.queue)

    def by_speaker(self, speaker: str) -> list[ViewSegment]:
        return [s for s in self.segments if s.speaker == speaker]

    @property
    def duration(self) -> float:
        return max((s.end for s in self.segments), default=0.0)


def _call_date(call: CallState) -> date | None:
    """The day relative dates ("tomorrow") count from: ``call_date`` in the ACD metadata, else the start."""
    said = call.acd_metadata.get("call_date")
    if isinstance(said, str) and _ISO_DATE.fullmatch(said):
        return date.fromisoformat(said)
    return call.started_at.date() if call.started_at else None
