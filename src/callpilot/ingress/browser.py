"""The browser microphone protocol: a JSON ``start``, binary PCM16 mono 16 kHz frames (~200 ms), ``stop``.

``{"type": "start", "call_id": "...", "agent_id": "...", "role": "agent", "sample_rate": 16000}`` opens the
call (optional ``agent_name``, ``queue``, ``customer_id``); each binary frame is little-endian PCM16; ``{"type":
"stop"}`` ends it. Replies: ``started`` (with the call id), ``stopped``, and ``error`` before a close.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from callpilot.domain.events import Speaker
from callpilot.ingress.base import (
    AudioReceived,
    IngressEvent,
    ProtocolError,
    Reply,
    StreamStarted,
    StreamStopped,
    Translator,
)
from callpilot.service.calls import ID_PATTERN, NewCall

__all__ = ["BrowserStart", "BrowserTranslator"]

SAMPLE_RATE = 16000
MAX_FRAME_BYTES = 64_000  # 2 s of audio; a frame is ~200 ms


class BrowserStart(BaseModel):
    model_config = {"extra": "forbid"}

    type: Literal["start"]
    call_id: str | None = Field(None, pattern=ID_PATTERN)
    agent_id: str = Field(min_length=1, max_length=128)
    agent_name: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=128)
    queue: str | None = Field(None, max_length=128)
    role: Speaker = "agent"
    sample_rate: int = SAMPLE_RATE
    encoding: Literal["pcm16"] = "pcm16"


class BrowserTranslator(Translator):
    protocol = "browser"

    def __init__(self, *, default_call_id: str) -> None:
        super().__init__()
        self.default_call_id = default_call_id
        self.role: Speaker = "agent"

    def on_text(self, text: str) -> list[IngressEvent]:
        message = _json(text)
        kind = message.get("type")
        if kind == "start":
            return self._start(message)
        if kind == "stop":
            if not self.started:
                raise ProtocolError("browser: stop before start")
            self.stopped = True
            return [StreamStopped(), Reply({"type": "stopped"}, close=True)]
        raise ProtocolError(f"browser: unknown message type {kind!r}; expected start or stop")

    def _start(self, message: dict[str, Any]) -> list[IngressEvent]:
        if self.started:
            raise ProtocolError("browser: a second start message")
        try:
            start = BrowserStart.model_validate(message)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ProtocolError(f"browser: bad start message: {where}: {first['msg']}") from exc
        if start.sample_rate != SAMPLE_RATE:
            raise ProtocolError(f"browser: sample_rate must be {SAMPLE_RATE} (PCM16 mono), got {start.sample_rate}")
        self.started, self.role = True, start.role
        call_id = start.call_id or self.default_call_id
        call = NewCall(call_id=call_id, agent_id=start.agent_id, agent_name=start.agent_name,
                       customer_id=start.customer_id, queue=start.queue, acd_metadata={"source": "browser"})
        return [StreamStarted(call=call, call_id=call_id, roles=[start.role], sample_rate=SAMPLE_RATE),
                Reply({"type": "started", "call_id": call_id})]

    def on_bytes(self, data: bytes) -> list[IngressEvent]:
        if not self.started:
            raise ProtocolError("browser: audio before the start message")
        if self.stopped:
            return [self.problem("browser: audio after stop")]
        if len(data) % 2 or len(data) > MAX_FRAME_BYTES:
            return [self.problem(f"browser: a frame of {len(data)} bytes is not PCM16 of at most "
                                 f"{MAX_FRAME_BYTES} bytes; dropped")]
        return [AudioReceived(self.role, np.frombuffer(data, dtype="<i2").astype(np.int16))]


def _json(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("a text message must be a JSON object")
    return message
