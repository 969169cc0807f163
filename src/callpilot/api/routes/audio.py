"""Live audio in over WebSockets: ``/v1/audio/browser``, ``/v1/audio/twilio``, ``/v1/audio/audiohook``.

Each route authenticates (the API key as a header or ``?api_key=``), then hands the connection to
:func:`callpilot.ingress.stream.run_stream` with its protocol's translator.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from callpilot.api.deps import get_ws_identity
from callpilot.api.streaming import WS_UNAUTHORIZED, refuse
from callpilot.ingress.audiohook import AudioHookTranslator
from callpilot.ingress.base import Translator
from callpilot.ingress.browser import BrowserTranslator
from callpilot.ingress.stream import run_stream
from callpilot.ingress.twilio import TwilioTranslator
from callpilot.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/v1/audio", tags=["audio"])


class _WebSocketPeer:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def receive(self) -> str | bytes | None:
        try:
            message = await self.websocket.receive()
        except WebSocketDisconnect:
            return None
        if message["type"] == "websocket.disconnect":
            return None
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            return data
        text: str = message.get("text") or ""
        return text

    async def send_json(self, message: dict[str, Any]) -> None:
        if self.websocket.application_state == WebSocketState.CONNECTED:
            await self.websocket.send_json(message)

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state == WebSocketState.CONNECTED:
            await self.websocket.close(code, reason)


async def _serve(websocket: WebSocket, translator: Translator) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if await get_ws_identity(websocket) is None:
        await refuse(websocket, WS_UNAUTHORIZED, "missing or invalid API key")
        return
    await websocket.accept(subprotocol=_subprotocol(websocket))
    speech = await runtime.speech()
    await run_stream(_WebSocketPeer(websocket), translator, speech,
                     idle_seconds=runtime.settings.speech.idle_timeout_seconds)


def _subprotocol(websocket: WebSocket) -> str | None:
    offered = websocket.scope.get("subprotocols") or []
    return offered[0] if offered else None


@router.websocket("/browser")
async def browser(websocket: WebSocket) -> None:
    await _serve(websocket, BrowserTranslator(default_call_id=f"call_{uuid.uuid4().hex}"))


@router.websocket("/twilio")
async def twilio(websocket: WebSocket) -> None:
    await _serve(websocket, TwilioTranslator())


@router.websocket("/audiohook")
async def audiohook(websocket: WebSocket) -> None:
    await _serve(websocket, AudioHookTranslator())
