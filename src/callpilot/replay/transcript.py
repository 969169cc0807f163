"""The transcript file format every tool reads and writes.

``{"call_id": str (optional), "metadata": {...}, "segments": [{"speaker": "agent"|"customer", "text": str,
"start": float, "end": float}]}``
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from callpilot.core.errors import InvalidInput
from callpilot.domain.events import Speaker

__all__ = ["Transcript", "TranscriptSegment", "load_transcript"]


class TranscriptSegment(BaseModel):
    model_config = {"extra": "allow"}  # engines may add words, confidence, ...

    speaker: Speaker
    text: str = Field(min_length=1)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float | None = Field(None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> TranscriptSegment:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Transcript(BaseModel):
    call_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    segments: list[TranscriptSegment]

    @property
    def duration(self) -> float:
        return max((s.end for s in self.segments), default=0.0)


def load_transcript(path: str | Path) -> Transcript:
    path = Path(path)
    try:
        return Transcript.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise InvalidInput(f"{path}: no such file") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise InvalidInput(f"{path}: not a transcript file: {where}: {first['msg']} "
                           f"({exc.error_count()} problem(s))") from exc
