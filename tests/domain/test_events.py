from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from callpilot.core.errors import EventLogError
from callpilot.domain import events
from callpilot.domain.events import CallEnded, SegmentReceived, decode_event


def test_events_are_immutable() -> None:
    event = CallEnded(status="completed")
    with pytest.raises(ValidationError):
        event.status = "other"  # type: ignore[misc]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        SegmentReceived.model_validate({"segment_id": "s", "speaker": "agent", "text": "t", "start": 0, "end": 1,
                                        "surprise": True})


def test_old_versions_are_upcast(monkeypatch: pytest.MonkeyPatch) -> None:
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k != "reason"} | {"status": data["reason"]}

    monkeypatch.setattr(CallEnded, "VERSION", 2)
    monkeypatch.setitem(events.UPCASTERS, ("CallEnded", 1), v1_to_v2)
    assert decode_event("CallEnded", 1, {"reason": "abandoned"}) == CallEnded(status="abandoned")


@pytest.mark.parametrize("type_name, version, message", [
    ("Nope", 1, "unknown type"),
    ("CallEnded", 9, "newer than"),
])
def test_undecodable_events_say_why(type_name: str, version: int, message: str) -> None:
    with pytest.raises(EventLogError, match=message):
        decode_event(type_name, version, {})
