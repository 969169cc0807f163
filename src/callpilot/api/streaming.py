"""SSE and WebSocket delivery of :func:`callpilot.streams.follow`, shared by every stream route."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from fastapi import Request, WebSocket, WebSocketDisconnect, status
from sse_starlette import EventSourceResponse
from starlette.websockets import WebSocketState

from callpilot.api.deps import get_ws_identity
from callpilot.core.errors import CallpilotError
from callpilot.core.logging import get_logger
from callpilot.runtime import Runtime
from callpilot.streams.follow import follow
from callpilot.streams.hub import SlowConsumer

__all__ = [
    "WS_SLOW_CONSUMER", "WS_UNAUTHORIZED", "refuse", "resume_position", "serve_websocket", "sse_response",
    "websocket_stream",
]

log = get_logger(__name__)

WS_SLOW_CONSUMER = 4008
WS_UNAUTHORIZED = 4401
_SEND_TIMEOUT = 30.0

MessageHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def serve_websocket(websocket: WebSocket, *, call_id: str | None, after: int | None) -> None:
    """A WebSocket route's whole life: the caller's key, the call's existence, then the stream of that call
    (or of every call when ``call_id`` is None, starting at the live edge unless ``after`` is given)."""
    from callpilot.api.routes.feedback import websocket_messages

    runtime: Runtime = websocket.app.state.runtime
    if await get_ws_identity(websocket) is None:
        await refuse(websocket, WS_UNAUTHORIZED, "missing or invalid API key")
        return
    if call_id is not None and await runtime.calls.states.load(call_id) is None:
        await refuse(websocket, status.WS_1008_POLICY_VIOLATION, f"unknown call/session {call_id}")
        return
    start = after if after is not None else (0 if call_id is not None else await runtime.log.last_position())
    await websocket_stream(websocket, runtime, call_id=call_id, after=start,
                           on_message=websocket_messages(runtime.calls, call_id))


async def refuse(websocket: WebSocket, code: int, reason: str) -> None:
    """Accept, then close with a code and reason: a browser sees those, but not a refused handshake's 403."""
    await websocket.accept()
    await websocket.close(code, reason)


def resume_position(last_event_id: str | None, after: int | None) -> int:
    """Where a (re)connecting client resumes: ``Last-Event-ID`` wins over ``?after=``; both are positions."""
    if last_event_id is not None and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after or 0


def sse_response(request: Request, runtime: Runtime, *, call_id: str | None, after: int) -> EventSourceResponse:
    settings = runtime.settings.streams

    async def events() -> AsyncIterator[dict[str, Any]]:
        last = after
        try:
            async for recorded in follow(runtime.log, runtime.hub, call_id=call_id, after_position=after,
                                         poll_seconds=settings.poll_seconds):
                if recorded is None:
                    continue  # sse-starlette sends the heartbeat comments itself
                last = recorded.position
                yield {"id": str(recorded.position), "event": recorded.type, "data": recorded.to_json().decode()}
        except SlowConsumer as exc:
            yield {"event": "error", "data": orjson.dumps(
                {"code": "slow_consumer", "message": str(exc), "resume_after": last}).decode()}

    return EventSourceResponse(events(), ping=max(1, round(settings.heartbeat_seconds)), send_timeout=_SEND_TIMEOUT,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def websocket_stream(websocket: WebSocket, runtime: Runtime, *, call_id: str | None, after: int,
                           on_message: MessageHandler) -> None:
    """Push events as JSON text frames (the same shape as SSE data); answer client messages in between.

    Control frames use lower-case types: ``heartbeat`` every ``heartbeat_seconds`` of silence, ``error``
    (then close code 4008 for a slow consumer, which may reconnect with ``?after=`` the last position).
    """
    settings = runtime.settings.streams
    await websocket.accept()
    send_lock = asyncio.Lock()

    async def send(payload: bytes) -> None:
        async with send_lock:
            await asyncio.wait_for(websocket.send_text(payload.decode()), _SEND_TIMEOUT)

    async def pump() -> None:
        last_send = time.monotonic()
        last = after
        try:
            async for recorded in follow(runtime.log, runtime.hub, call_id=call_id, after_position=after,
                                         poll_seconds=settings.poll_seconds):
                if recorded is None:
                    if time.monotonic() - last_send >= settings.heartbeat_seconds:
                        await send(orjson.dumps({"type": "heartbeat", "after": last}))
                        last_send = time.monotonic()
                    continue
                await send(recorded.to_json())
                last, last_send = recorded.position, time.monotonic()
        except SlowConsumer as exc:
            await send(orjson.dumps({"type": "error", "code": "slow_consumer", "message": str(exc),
                                     "resume_after": last}))
            await websocket.close(WS_SLOW_CONSUMER, "slow consumer")

    pump_task = asyncio.create_task(pump())
    try:
        await _receive_loop(websocket, send, on_message, pump_task)
    finally:
        pump_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump_task
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()


async def _receive_loop(websocket: WebSocket, send: Callable[[bytes], Awaitable[None]],
                        on_message: MessageHandler, pump_task: asyncio.Task[None]) -> None:
    receiver = asyncio.ensure_future(websocket.receive_text())
    try:
        while True:
            done, _ = await asyncio.wait({receiver, pump_task}, return_when=asyncio.FIRST_COMPLETED)
            if pump_task in done:
                return
            try:
                text = receiver.result()
            except (WebSocketDisconnect, RuntimeError):
                return
            await send(orjson.dumps(await _answer(text, on_message)))
            receiver = asyncio.ensure_future(websocket.receive_text())
    finally:
        receiver.cancel()


async def _answer(text: str, on_message: MessageHandler) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {"type": "error", "code": "malformed_json", "message": "message is not valid JSON"}
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return {"type": "error", "code": "bad_message", "message": "a message is a JSON object with a 'type'"}
    if message["type"] == "ping":
        return {"type": "pong"}
    try:
        return await on_message(message)
    except CallpilotError as exc:
        return {"type": "error", "code": "rejected", "message": str(exc)}
