"""Deepgram's live streaming API: the example of a remote engine (audio leaves the machine: opt in knowingly).

One WebSocket per channel for the whole call. Each utterance's audio is sent as it comes; ``end`` sends
Deepgram's ``Finalize`` message and waits for the result it flushes (``from_finalize``). Idle gaps are bridged
with ``KeepAlive``. Spoken with ``websockets`` against the documented protocol
(https://developers.deepgram.com/docs/live-streaming-audio) rather than through deepgram-sdk: the SDK's
streaming interface has changed shape in each of its last three major versions, the protocol has not, and
a test fake speaks the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlencode

import websockets
from websockets.asyncio.client import ClientConnection

from callpilot.core.errors import ConfigError
from callpilot.speech.asr.base import Hypothesis, RecognizerStream, SpeechRecognizer, Word

__all__ = ["DeepgramASR"]


class DeepgramASR(SpeechRecognizer):
    name = "deepgram"
    URL = "wss://api.deepgram.com/v1/listen"

    def __init__(self, *, api_key: str | None = None, model: str = "nova-2", language: str = "en-US",
                 url: str | None = None, finalize_timeout: float = 5.0, keepalive_seconds: float = 5.0) -> None:
        if not api_key:
            raise ConfigError("the Deepgram engine needs speech.engine_options.api_key")
        self.api_key, self.finalize_timeout, self.keepalive_seconds = api_key, finalize_timeout, keepalive_seconds
        query = {"encoding": "linear16", "sample_rate": 16000, "channels": 1, "model": model,
                 "language": language, "interim_results": "true", "punctuate": "true"}
        self.url = f"{url or self.URL}?{urlencode(query)}"

    def open(self) -> RecognizerStream:
        return _DeepgramStream(self)


class _DeepgramStream(RecognizerStream):
    def __init__(self, engine: DeepgramASR) -> None:
        self._engine = engine
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._sent_seconds = 0.0  # audio sent on this connection: Deepgram's times count from its start
        self._offset = 0.0
        self._finals: list[dict[str, Any]] = []
        self._interim = ""
        self._flushed = asyncio.Event()

    async def _connect(self) -> ClientConnection:
        if self._ws is None:
            self._ws = await websockets.connect(
                self._engine.url, additional_headers={"Authorization": f"Token {self._engine.api_key}"})
            self._reader = asyncio.create_task(self._read(self._ws))
            self._keepalive = asyncio.create_task(self._keep_alive(self._ws))
        return self._ws

    async def _read(self, ws: ClientConnection) -> None:
        async for message in ws:
            if isinstance(message, bytes):
                continue
            result = json.loads(message)
            if result.get("type") != "Results":
                continue
            alternative = (result.get("channel", {}).get("alternatives") or [{}])[0]
            if result.get("is_final"):
                self._finals.append(alternative)
                self._interim = ""
            else:
                self._interim = alternative.get("transcript", "")
            if result.get("from_finalize"):
                self._flushed.set()

    async def _keep_alive(self, ws: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await asyncio.sleep(self._engine.keepalive_seconds)
                await ws.send(json.dumps({"type": "KeepAlive"}))

    async def begin(self) -> None:
        await self._connect()
        self._offset, self._finals, self._interim = self._sent_seconds, [], ""
        self._flushed.clear()

    async def accept(self, pcm: bytes) -> Hypothesis | None:
        ws = await self._connect()
        await ws.send(pcm)
        self._sent_seconds += len(pcm) / 32000
        text = " ".join([*(a.get("transcript", "") for a in self._finals), self._interim]).strip()
        return Hypothesis(text=text) if text else None

    async def end(self) -> Hypothesis:
        ws = await self._connect()
        await ws.send(json.dumps({"type": "Finalize"}))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._engine.finalize_timeout):
                await self._flushed.wait()
        words = tuple(
            Word(text=w.get("punctuated_word") or w["word"], start=round(w["start"] - self._offset, 3),
                 end=round(w["end"] - self._offset, 3), confidence=w.get("confidence"))
            for alternative in self._finals for w in alternative.get("words", []))
        scores = [a["confidence"] for a in self._finals if a.get("transcript") and "confidence" in a]
        text = " ".join(a.get("transcript", "") for a in self._finals if a.get("transcript"))
        return Hypothesis(text=text, words=words, confidence=round(sum(scores) / len(scores), 3) if scores else None)

    async def close(self) -> None:
        for task in (self._keepalive, self._reader):
            if task is not None:
                task.cancel()
        if self._ws is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._ws.send(json.dumps({"type": "CloseStream"}))
            await self._ws.close()
            self._ws = None
