"""Genesys Cloud AudioHook, monitor mode (https://developer.genesys.cloud/devapps/audiohook/).

The client sends ``open``; we answer ``opened`` at once with the media we take (PCMU 8 kHz; stereo
``["external", "internal"]`` interleaved: external is the customer, internal the agent). ``ping`` gets
``pong``, ``close`` gets ``closed``; ``paused``/``resumed`` are noted; binary frames are the audio. Every
client message carries ``seq`` (1, 2, 3 ...); a gap or repeat is a protocol error answered with
``disconnect``. A connection probe (Genesys checks the endpoint with the nil conversation id) is answered
like a call but starts none.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

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
from callpilot.service.calls import NewCall
from callpilot.speech.codecs import ulaw_decode

__all__ = ["CHANNEL_ROLES", "PROBE_CONVERSATION", "AudioHookTranslator"]

CHANNEL_ROLES: dict[str, Speaker] = {"external": "customer", "internal": "agent"}
PROBE_CONVERSATION = "00000000-0000-0000-0000-000000000000"
SAMPLE_RATE = 8000
_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")


class AudioHookTranslator(Translator):
    protocol = "audiohook"
    first_message_seconds = 5.0  # Genesys expects "opened" within 5 s of its open

    def __init__(self) -> None:
        super().__init__()
        self.session_id: str | None = None
        self.opened = False
        self.probe = False
        self.paused = False
        self.channels: list[str] = []
        self._client_seq = 0
        self._server_seq = 0

    def _reply(self, kind: str, parameters: dict[str, Any] | None = None, *, close: bool = False) -> Reply:
        self._server_seq += 1
        return Reply({"version": "2", "type": kind, "seq": self._server_seq, "clientseq": self._client_seq,
                      "id": self.session_id, "parameters": parameters or {}}, close=close)

    def _disconnect(self, info: str) -> list[IngressEvent]:
        self.stopped = True
        events: list[IngressEvent] = [self._reply("disconnect", {"reason": "error", "info": info}, close=True)]
        if self.started:
            events.insert(0, StreamStopped(status="failed"))
        return events

    def on_text(self, text: str) -> list[IngressEvent]:
        try:
            message = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtocolError(f"audiohook: a message that is not JSON: {exc}") from exc
        if not isinstance(message, dict) or "type" not in message:
            raise ProtocolError("audiohook: a message without a type")
        kind, seq = message["type"], message.get("seq")
        if not isinstance(seq, int) or seq != self._client_seq + 1:
            if not self.opened and kind != "open":
                raise ProtocolError(f"audiohook: {kind!r} before open")
            return self._disconnect(f"expected seq {self._client_seq + 1}, got {seq}")
        self._client_seq = seq
        if kind == "open":
            return self._open(message)
        if not self.opened:
            raise ProtocolError(f"audiohook: {kind!r} before open")
        if kind == "ping":
            return [self._reply("pong")]
        if kind == "close":
            self.stopped = True
            events: list[IngressEvent] = [StreamStopped()] if self.started else []
            return [*events, self._reply("closed", close=True)]
        if kind in ("paused", "resumed"):
            self.paused = kind == "paused"
            return []
        if kind in ("update", "discarded", "dtmf", "error"):
            return []  # nothing to do in monitor mode; DTMF digits are not kept
        return [self.problem(f"audiohook: unknown message type {kind!r} ignored")]

    def _open(self, message: dict[str, Any]) -> list[IngressEvent]:
        try:
            return self._parse_open(message)
        except (ValueError, TypeError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
            self.opened = True
            return self._disconnect(f"bad open message: {exc}")

    def _parse_open(self, message: dict[str, Any]) -> list[IngressEvent]:
        if self.opened:
            return self._disconnect("a second open")
        self.session_id = str(message.get("id") or "")
        params = message.get("parameters") or {}
        offered = params.get("media") or []
        chosen = next((m for m in offered if m.get("type") == "audio" and m.get("format") == "PCMU"
                       and int(m.get("rate", 0)) == SAMPLE_RATE
                       and all(c in CHANNEL_ROLES for c in m.get("channels", []))), None)
        conversation = str(params.get("conversationId") or "")
        self.opened = True
        self.probe = conversation == PROBE_CONVERSATION
        if self.probe:  # Genesys checking the endpoint: answer, start nothing
            return [self._reply("opened", {"startPaused": False, "media": [chosen] if chosen else []})]
        if chosen is None:
            return self._disconnect(f"no supported media offered (want PCMU 8000 Hz): {offered}")
        self.channels = list(chosen.get("channels") or ["external"])
        participant = params.get("participant") or {}
        custom = params.get("customConfig") or {}
        call_id = str(custom.get("call_id") or f"genesys_{_UNSAFE.sub('', conversation) or self.session_id}")[:128]
        call = NewCall(call_id=call_id, agent_id=str(custom.get("agent_id") or "unassigned"),
                       queue=custom.get("queue"), customer_phone=participant.get("ani"),
                       acd_metadata={"source": "audiohook", "conversation_id": conversation,
                                     "session_id": self.session_id})
        self.started = True
        return [StreamStarted(call=call, call_id=call_id, roles=[CHANNEL_ROLES[c] for c in self.channels],
                              sample_rate=SAMPLE_RATE),
                self._reply("opened", {"startPaused": False, "media": [chosen]})]

    def on_bytes(self, data: bytes) -> list[IngressEvent]:
        if not self.opened:
            raise ProtocolError("audiohook: audio before open")
        if self.probe or self.stopped:
            return [self.problem("audiohook: audio on a probe or closed session dropped")]
        width = len(self.channels)
        if len(data) % width:
            return [self.problem(f"audiohook: a frame of {len(data)} bytes is not whole {width}-channel samples")]
        samples = ulaw_decode(data)
        return [AudioReceived(CHANNEL_ROLES[c], np.ascontiguousarray(samples[i::width]))
                for i, c in enumerate(self.channels)]
