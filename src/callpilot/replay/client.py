"""Replays a transcript against a running server: call start, segments at their original timing (scaled),
call end, while following the call's event stream. Retries through server restarts: segments carry stable
ids, so a retried POST is stored once, and the stream resumes from its last event id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from httpx_sse import aconnect_sse

from callpilot.core.errors import CallpilotError
from callpilot.domain.events import EVENT_TYPES
from callpilot.replay.transcript import Transcript

__all__ = ["ReplayError", "ReplayResult", "replay_call"]

EventCallback = Callable[[dict[str, Any]], None]
_EVENT_NAMES = frozenset(EVENT_TYPES)
_START_KEYS = ("agent_id", "agent_name", "customer_id", "customer_name", "customer_phone", "queue")


class ReplayError(CallpilotError):
    pass


@dataclass
class ReplayResult:
    call_id: str
    sent: int = 0
    acknowledged: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    stream_reconnects: int = 0


def start_payload(transcript: Transcript, call_id: str) -> dict[str, Any]:
    meta = transcript.metadata
    payload: dict[str, Any] = {"call_id": call_id, "agent_id": str(meta.get("agent_id") or "agent-1")}
    payload |= {k: str(meta[k]) for k in _START_KEYS[1:] if meta.get(k) is not None}
    payload["acd_metadata"] = {k: v for k, v in meta.items() if k not in _START_KEYS}
    return payload


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any], result: ReplayResult,
                retry_for: float) -> dict[str, Any]:
    """POST with retries on connection errors and 5xx until ``retry_for`` seconds have passed."""
    deadline = time.monotonic() + retry_for
    delay = 0.1
    while True:
        try:
            response = await client.post(path, content=orjson.dumps(body),
                                         headers={"content-type": "application/json"})
            if response.status_code < 500:
                if response.status_code >= 400:
                    raise ReplayError(f"POST {path} -> {response.status_code}: {response.text}")
                data: dict[str, Any] = response.json()
                return data
            problem = f"HTTP {response.status_code}"
        except httpx.TransportError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if time.monotonic() + delay > deadline:
            raise ReplayError(f"POST {path} failed for {retry_for:.0f}s, last: {problem}")
        result.retries += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


# The after-call job's last word on a call: the analysis went to review, or was approved.
WRAP_UP_TYPES = frozenset({"ReviewRequested", "AnalysisApproved"})


async def _follow(client: httpx.AsyncClient, call_id: str, result: ReplayResult, on_event: EventCallback | None,
                  ended: asyncio.Event, done: asyncio.Event) -> None:
    """Stream the call's events until its wrap-up (or until cancelled after its end)."""
    last_id: str | None = None
    while not done.is_set():
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            async with aconnect_sse(client, "GET", f"/api/realtime/stream/{call_id}", headers=headers,
                                    timeout=httpx.Timeout(10.0, read=None)) as source:
                async for sse in source.aiter_sse():
                    # httpx-sse hands heartbeat comments over as data-less events that repeat the last id
                    if not sse.data or sse.event not in _EVENT_NAMES:
                        continue
                    last_id = sse.id
                    event = orjson.loads(sse.data)
                    result.events.append(event)
                    if on_event is not None:
                        on_event(event)
                    if event["type"] == "CallEnded":
                        ended.set()
                    elif event["type"] in WRAP_UP_TYPES:
                        done.set()
                        return
        except (httpx.TransportError, httpx.HTTPStatusError):
            pass
        if not done.is_set():
            result.stream_reconnects += 1
            await asyncio.sleep(0.2)


async def replay_call(
    client: httpx.AsyncClient,
    transcript: Transcript,
    *,
    call_id: str,
    speed: float = 1.0,
    on_event: EventCallback | None = None,
    follow_stream: bool = True,
    retry_for: float = 60.0,
    wrap_up_seconds: float = 10.0,
) -> ReplayResult:
    """Replay one call; ``client`` carries the base URL and API key. Each segment is sent when it ends
    (as a speech engine's final result would be), at ``speed`` times real time. After ``CallEnded`` the
    stream is followed for up to ``wrap_up_seconds`` more, until the after-call analysis is in (0: stop at
    the end)."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    result = ReplayResult(call_id=call_id)
    await _post(client, "/api/realtime/call/start", start_payload(transcript, call_id), result, retry_for)
    ended, wrapped = asyncio.Event(), asyncio.Event()
    follower = asyncio.create_task(_follow(client, call_id, result, on_event, ended, wrapped)) \
        if follow_stream else None
    origin = time.monotonic()
    for index, segment in enumerate(transcript.segments):
        wait = origin + segment.end / speed - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        body = {"session_id": call_id, "speaker": segment.speaker, "text": segment.text,
                "start_time": segment.start, "end_time": segment.end, "confidence": segment.confidence,
                "segment_id": f"{call_id}-{index}"}
        answer = await _post(client, "/api/realtime/transcription", body, result, retry_for)
        result.sent += 1
        result.acknowledged.append(answer["segment_id"])
    await _post(client, "/api/realtime/call/end", {"session_id": call_id, "status": "completed"}, result,
                retry_for)
    if follower is not None:
        try:
            if await _first(follower, ended, 30) and wrap_up_seconds > 0:
                await _first(follower, wrapped, wrap_up_seconds)
        finally:
            follower.cancel()
        if not ended.is_set():
            crashed = follower.done() and not follower.cancelled() and follower.exception()
            reason = f"the stream reader failed: {crashed!r}" if crashed else "no CallEnded on the stream in 30 s"
            raise ReplayError(f"call {call_id}: {reason}")
    return result


async def _first(follower: asyncio.Task[None], flag: asyncio.Event, seconds: float) -> bool:
    """Wait until ``flag`` is set, the follower stops or ``seconds`` pass; whether ``flag`` is set."""
    waiter = asyncio.ensure_future(flag.wait())
    try:
        await asyncio.wait({follower, waiter}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    return flag.is_set()
