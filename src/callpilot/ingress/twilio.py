"""Twilio Media Streams (https://www.twilio.com/docs/voice/media-streams/websocket-messages).

``connected``, then ``start`` (streamSid, callSid, tracks, customParameters, mediaFormat audio/x-mulaw 8000 Hz
mono), ``media`` (track inbound/outbound, chunk, timestamp in ms, base64 payload), ``mark``, ``dtmf``, ``stop``.
The inbound track is the caller (customer), the outbound one the agent. The call's id is ``twilio_<callSid>``
unless ``customParameters.call_id`` gives one; ``agent_id`` comes from ``customParameters`` too.

Media that arrives out of order (a ``sequenceNumber`` not above the last) is dropped; a gap in a track's
``timestamp`` (lost packets) is filled with silence, so both tracks stay on the call's clock. DTMF digits are
not kept: a caller may be keying in a card number.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import numpy as np

from callpilot.domain.events import Speaker
from callpilot.ingress.base import AudioReceived, IngressEvent, ProtocolError, StreamStarted, StreamStopped, Translator
from callpilot.service.calls import NewCall
from callpilot.speech.codecs import ulaw_decode

__all__ = ["TRACK_ROLES", "TwilioTranslator"]

TRACK_ROLES: dict[str, Speaker] = {"inbound": "customer", "outbound": "agent"}
SAMPLE_RATE = 8000
_GAP_MS = 40  # a timestamp this far past the audio received so far is a gap to fill
_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")


class TwilioTranslator(Translator):
    protocol = "twilio"

    def __init__(self) -> None:
        super().__init__()
        self.stream_sid: str | None = None
        self.roles: dict[str, Speaker] = {}
        self._last_seq = 0
        self._samples: dict[str, int] = {}

    def on_bytes(self, data: bytes) -> list[IngressEvent]:
        return [self.problem("twilio: Media Streams sends text frames only; a binary frame was dropped")]

    def on_text(self, text: str) -> list[IngressEvent]:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            return [self.problem("twilio: a message that is not JSON was dropped")]
        if not isinstance(message, dict):
            return [self.problem("twilio: a message that is not a JSON object was dropped")]
        kind = message.get("event")
        if kind == "connected":
            return []
        if kind == "start":
            return self._start(message)
        if not self.started:
            raise ProtocolError(f"twilio: {kind!r} before start")
        if not self._in_order(message):
            return [self.problem("twilio: out-of-order message dropped", sequence=message.get("sequenceNumber"))]
        if kind == "media":
            return self._media(message.get("media") or {})
        if kind == "stop":
            self.stopped = True
            return [StreamStopped()]
        if kind in ("mark", "dtmf"):
            return []  # marks are ours to send; DTMF digits may be a card number, so they are not kept
        return [self.problem(f"twilio: unknown event {kind!r} dropped")]

    def _in_order(self, message: dict[str, Any]) -> bool:
        try:
            seq = int(message.get("sequenceNumber", 0))
        except (TypeError, ValueError):
            return False
        if seq and seq <= self._last_seq:
            return False
        self._last_seq = max(self._last_seq, seq)
        return True

    def _start(self, message: dict[str, Any]) -> list[IngressEvent]:
        try:
            return self._parse_start(message)
        except (ValueError, TypeError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
            raise ProtocolError(f"twilio: bad start message: {exc}") from exc

    def _parse_start(self, message: dict[str, Any]) -> list[IngressEvent]:
        if self.started:
            raise ProtocolError("twilio: a second start message")
        start = message.get("start")
        if not isinstance(start, dict) or not start.get("callSid"):
            raise ProtocolError("twilio: start without start.callSid")
        media = start.get("mediaFormat") or {}
        if (media.get("encoding"), int(media.get("sampleRate", 0)), int(media.get("channels", 1))) != (
                "audio/x-mulaw", SAMPLE_RATE, 1):
            raise ProtocolError(f"twilio: unsupported mediaFormat {media}; expected audio/x-mulaw, 8000 Hz, mono")
        tracks = start.get("tracks") or ["inbound"]
        unknown = [t for t in tracks if t not in TRACK_ROLES]
        if unknown:
            raise ProtocolError(f"twilio: unknown tracks {unknown}; expected inbound and/or outbound")
        params = start.get("customParameters") or {}
        self.started, self.stream_sid = True, start.get("streamSid") or message.get("streamSid")
        self._last_seq = int(message.get("sequenceNumber", 0) or 0)
        self.roles = {t: TRACK_ROLES[t] for t in tracks}
        self._samples = dict.fromkeys(tracks, 0)
        call_id = str(params.get("call_id") or f"twilio_{_UNSAFE.sub('', str(start['callSid']))}")[:128]
        call = NewCall(call_id=call_id, agent_id=str(params.get("agent_id") or "unassigned"),
                       agent_name=params.get("agent_name"), queue=params.get("queue"),
                       customer_id=params.get("customer_id"),
                       acd_metadata={"source": "twilio", "call_sid": start["callSid"],
                                     "stream_sid": self.stream_sid})
        return [StreamStarted(call=call, call_id=call_id, roles=list(self.roles.values()), sample_rate=SAMPLE_RATE)]

    def _media(self, media: dict[str, Any]) -> list[IngressEvent]:
        track = media.get("track", "inbound")
        if track not in self.roles:
            return [self.problem(f"twilio: media for track {track!r}, not started; dropped")]
        try:
            audio = ulaw_decode(base64.b64decode(media.get("payload", ""), validate=True))
        except (binascii.Error, ValueError):
            return [self.problem("twilio: a media payload that is not base64 was dropped")]
        events: list[IngressEvent] = []
        try:
            timestamp_ms = int(media.get("timestamp", -1))
        except (TypeError, ValueError):
            timestamp_ms = -1
        received_ms = self._samples[track] * 1000 // SAMPLE_RATE
        if timestamp_ms - received_ms > _GAP_MS:
            gap = (timestamp_ms - received_ms) * SAMPLE_RATE // 1000
            events.append(AudioReceived(self.roles[track], np.zeros(gap, dtype=np.int16)))
            self._samples[track] += gap
        self._samples[track] += len(audio)
        events.append(AudioReceived(self.roles[track], audio))
        return events
