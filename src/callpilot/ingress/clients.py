"""Test clients that stream a recording over the real protocols at real-time pace.

Used by the tests, the speech benchmark and ``callpilot replay --audio FILE --protocol twilio|audiohook|browser``.
A stereo recording's channels are mapped to roles by ``roles`` (default: agent left, customer right); Twilio's
outbound track and AudioHook's internal channel carry the agent, the inbound/external ones the customer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import soxr
import websockets
from websockets.asyncio.client import ClientConnection

from callpilot.domain.events import Speaker
from callpilot.speech.codecs import ulaw_encode
from callpilot.speech.files import Recording

__all__ = ["PROTOCOLS", "ClientReport", "stream_recording"]

Protocol = Literal["twilio", "audiohook", "browser"]
PROTOCOLS: tuple[Protocol, ...] = ("twilio", "audiohook", "browser")
FRAME_SECONDS = {"twilio": 0.02, "audiohook": 0.1, "browser": 0.2}


@dataclass
class ClientReport:
    protocol: str
    call_id: str
    started_wall: float = 0.0  # time.time() when the first audio frame was sent
    audio_seconds: float = 0.0
    replies: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None


def _tracks(recording: Recording, rate: int, roles: Sequence[Speaker]) -> dict[Speaker, npt.NDArray[np.int16]]:
    out: dict[Speaker, npt.NDArray[np.int16]] = {}
    for index, role in enumerate(roles[: recording.channels]):
        x = recording.channel(index)
        if recording.sample_rate != rate:
            x = np.clip(soxr.resample(x.astype(np.float32), recording.sample_rate, rate), -32768, 32767
                        ).astype(np.int16)
        out[role] = x
    return out


async def _pace(started: float, sent_seconds: float, speed: float) -> None:
    if speed > 0:
        delay = started + sent_seconds / speed - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def stream_recording(url: str, recording: Recording, *, protocol: Protocol, call_id: str | None = None,
                           agent_id: str = "agent-1", roles: Sequence[Speaker] = ("agent", "customer"),
                           speed: float = 1.0, api_key: str | None = None) -> ClientReport:
    """Stream ``recording`` to ``url`` (ws://host:port/v1/audio/<protocol>); ``speed`` 0 sends at once."""
    call_id = call_id or f"{protocol}_{uuid.uuid4().hex[:12]}"
    headers = {"X-API-Key": api_key} if api_key else {}
    report = ClientReport(protocol=protocol, call_id=call_id)
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        reader = asyncio.create_task(_read(ws, report))
        if protocol == "twilio":
            await _twilio(ws, recording, report, agent_id, roles, speed)
        elif protocol == "audiohook":
            await _audiohook(ws, recording, report, agent_id, roles, speed)
        else:
            await _browser(ws, recording, report, agent_id, roles, speed)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await reader
        reader.cancel()
        report.close_code = ws.close_code
    return report


async def _read(ws: ClientConnection, report: ClientReport) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for message in ws:
            if isinstance(message, str):
                report.replies.append(json.loads(message))


async def _twilio(ws: ClientConnection, recording: Recording, report: ClientReport, agent_id: str,
                  roles: Sequence[Speaker], speed: float) -> None:
    tracks = _tracks(recording, 8000, roles)
    names = {"customer": "inbound", "agent": "outbound"}
    stream_sid, seq = f"MZ{uuid.uuid4().hex}", 0

    def message(event: str, **body: Any) -> str:
        nonlocal seq
        seq += 1
        return json.dumps({"event": event, "sequenceNumber": str(seq), "streamSid": stream_sid, **body})

    await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    await ws.send(message("start", start={
        "accountSid": "AC" + "0" * 32, "streamSid": stream_sid, "callSid": "CA" + uuid.uuid4().hex,
        "tracks": [names[r] for r in tracks], "customParameters": {"call_id": report.call_id, "agent_id": agent_id},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}))
    frame = 160
    length = max(len(t) for t in tracks.values())
    started = time.perf_counter()
    report.started_wall = time.time()
    for chunk, offset in enumerate(range(0, length, frame), start=1):
        for role, track in tracks.items():
            piece = track[offset:offset + frame]
            if len(piece):
                await ws.send(message("media", media={
                    "track": names[role], "chunk": str(chunk), "timestamp": str(offset // 8),
                    "payload": base64.b64encode(ulaw_encode(piece)).decode()}))
        report.audio_seconds = (offset + frame) / 8000
        await _pace(started, report.audio_seconds, speed)
    await ws.send(message("stop", stop={"accountSid": "AC" + "0" * 32, "callSid": "CA"}))
    await ws.close()


async def _audiohook(ws: ClientConnection, recording: Recording, report: ClientReport, agent_id: str,
                     roles: Sequence[Speaker], speed: float) -> None:
    tracks = _tracks(recording, 8000, roles)
    channels = [c for c, r in (("external", "customer"), ("internal", "agent")) if r in tracks]
    session, seq = str(uuid.uuid4()), 0

    def message(kind: str, parameters: dict[str, Any]) -> str:
        nonlocal seq
        seq += 1
        return json.dumps({"version": "2", "type": kind, "seq": seq, "serverseq": 0, "id": session,
                           "position": "PT0S", "parameters": parameters})

    await ws.send(message("open", {
        "organizationId": str(uuid.uuid4()), "conversationId": str(uuid.uuid4()),
        "participant": {"id": str(uuid.uuid4()), "ani": "+15550100", "dnis": "+15550199"},
        "media": [{"type": "audio", "format": "PCMU", "channels": channels, "rate": 8000}],
        "customConfig": {"call_id": report.call_id, "agent_id": agent_id}}))
    for _ in range(500):  # the server answers "opened" before any audio may be sent
        if any(r.get("type") == "opened" for r in report.replies):
            break
        await asyncio.sleep(0.01)
    frame = int(8000 * FRAME_SECONDS["audiohook"])
    length = max(len(t) for t in tracks.values())
    started = time.perf_counter()
    report.started_wall = time.time()
    for index, offset in enumerate(range(0, length, frame)):
        pieces = [np.pad(tracks[CHANNEL_ROLE[c]][offset:offset + frame],
                         (0, max(0, frame - len(tracks[CHANNEL_ROLE[c]][offset:offset + frame])))) for c in channels]
        interleaved = np.stack(pieces, axis=1).reshape(-1).astype(np.int16)
        await ws.send(ulaw_encode(interleaved))
        if index % 50 == 49:
            await ws.send(message("ping", {}))
        report.audio_seconds = (offset + frame) / 8000
        await _pace(started, report.audio_seconds, speed)
    await ws.send(message("close", {"reason": "end"}))


CHANNEL_ROLE: dict[str, Speaker] = {"external": "customer", "internal": "agent"}


async def _browser(ws: ClientConnection, recording: Recording, report: ClientReport, agent_id: str,
                   roles: Sequence[Speaker], speed: float) -> None:
    tracks = _tracks(recording, 16000, roles)
    role: Speaker = roles[0]
    audio = tracks[role]
    await ws.send(json.dumps({"type": "start", "call_id": report.call_id, "agent_id": agent_id, "role": role,
                              "sample_rate": 16000}))
    frame = int(16000 * FRAME_SECONDS["browser"])
    started = time.perf_counter()
    report.started_wall = time.time()
    for offset in range(0, len(audio), frame):
        await ws.send(audio[offset:offset + frame].astype("<i2").tobytes())
        report.audio_seconds = (offset + frame) / 16000
        await _pace(started, report.audio_seconds, speed)
    await ws.send(json.dumps({"type": "stop"}))
