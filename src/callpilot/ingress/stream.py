"""A live audio connection's whole life, for any translator: messages in, the call's segments out.

Framework-free (a ``Peer`` is three coroutines), so the WebSocket routes, tests and benchmarks share it.
Whatever way the connection ends (``stop``/``close``, the peer vanishing, an idle timeout, a protocol error),
the call is ended and every utterance already heard is finished and kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from callpilot.core.errors import CallpilotError
from callpilot.core.logging import get_logger
from callpilot.ingress.base import (
    AudioReceived,
    Problem,
    ProtocolError,
    Reply,
    StreamStarted,
    StreamStopped,
    Translator,
)
from callpilot.speech.audio_call import AudioCall
from callpilot.speech.service import SpeechService

__all__ = ["Peer", "StreamResult", "run_stream"]

log = get_logger(__name__)


class Peer(Protocol):
    async def receive(self) -> str | bytes | None:
        """The next message; None when the peer has gone."""

    async def send_json(self, message: dict[str, Any]) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass
class StreamResult:
    call_id: str | None = None
    status: str | None = None
    error: str | None = None
    problems: int = 0
    finals: int = 0
    latencies_ms: list[float] = field(default_factory=list)


async def run_stream(peer: Peer, translator: Translator, speech: SpeechService, *,
                     idle_seconds: float, trace_id: str | None = None) -> StreamResult:
    result = StreamResult()
    call: AudioCall | None = None
    close: tuple[int, str] | None = None
    try:
        while not translator.stopped:
            timeout = translator.first_message_seconds if not translator.started else idle_seconds
            try:
                async with asyncio.timeout(timeout):
                    message = await peer.receive()
            except TimeoutError:
                what = "no open/start message" if not translator.started else "no audio"
                raise ProtocolError(f"{translator.protocol}: {what} for {timeout:g} s") from None
            events = translator.on_disconnect() if message is None else (
                translator.on_text(message) if isinstance(message, str) else translator.on_bytes(message))
            # replies first: AudioHook's "opened" must not wait for the call to be written
            for event in sorted(events, key=lambda e: not isinstance(e, Reply)):
                if isinstance(event, Reply):
                    await _send(peer, event.message)
                    if event.close:
                        close = (1000, "closed")
                elif isinstance(event, StreamStarted):
                    call = speech.open_call(event.call_id, event.roles, source_rate=event.sample_rate,
                                            trace_id=trace_id)
                    await call.start(event.call)
                    result.call_id = event.call_id
                elif isinstance(event, AudioReceived) and call is not None:
                    await call.push(event.role, event.pcm)
                elif isinstance(event, StreamStopped):
                    result.status = event.status
                elif isinstance(event, Problem):
                    log.warning("audio_message_dropped", protocol=translator.protocol, problem=event.message,
                                call_id=result.call_id)
            if message is None:
                break
    except ProtocolError as exc:
        result.error, result.status, close = str(exc), "failed", (1008, str(exc)[:120])
        log.warning("audio_protocol_error", protocol=translator.protocol, error=str(exc), call_id=result.call_id)
        await _send(peer, {"type": "error", "message": str(exc)})
    except CallpilotError as exc:
        result.error, result.status, close = str(exc), "failed", (1011, str(exc)[:120])
        log.error("audio_stream_failed", protocol=translator.protocol, error=str(exc), call_id=result.call_id)
        await _send(peer, {"type": "error", "message": str(exc)})
    finally:
        result.problems = translator.problems
        if call is not None:
            # shielded: a cancelled connection still finishes what was heard and ends the call
            await asyncio.shield(call.end(result.status or "dropped"))
            result.finals = len(call.finals)
            result.latencies_ms = [f.latency_ms for f in call.finals if f.latency_ms is not None]
        if close is not None:
            with contextlib.suppress(Exception):
                await peer.close(*close)
    return result


async def _send(peer: Peer, message: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # a peer that has gone cannot be told; the call still ends cleanly
        await peer.send_json(message)
