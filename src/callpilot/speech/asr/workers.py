"""Synchronous decoders run in worker processes, so that several live streams use several cores.

PocketSphinx holds the GIL while it decodes (two threads take twice as long as one), so threads would not
help. Each worker is a one-process ``ProcessPoolExecutor`` (the stdlib's pool, with its crash detection and
clean shutdown) that keeps the decoders of the streams assigned to it; a stream stays on its worker, because
a decoder's state is the utterance so far. Streams are spread over workers by how many each holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from callpilot.core.errors import CallpilotError
from callpilot.speech.asr.base import Hypothesis, RecognizerStream

__all__ = ["DecoderPool", "InlineStream", "SyncDecoder"]


class SyncDecoder(Protocol):
    def begin(self) -> None: ...
    def accept(self, pcm: bytes) -> Hypothesis | None: ...
    def end(self) -> Hypothesis: ...


class AsrWorkerFailed(CallpilotError):
    """A recognizer worker process died; the streams it held end their current utterance empty."""


# -- inside a worker process ------------------------------------------------------------------------------
_factory: Callable[[], SyncDecoder] | None = None
_decoders: dict[int, SyncDecoder] = {}


def _init(factory: Callable[[], SyncDecoder]) -> None:
    global _factory
    _factory = factory
    factory()  # load the model now, not at the first utterance


def _call(stream_id: int, method: str, *args: Any) -> Any:
    if method == "close":
        _decoders.pop(stream_id, None)
        return None
    decoder = _decoders.get(stream_id)
    if decoder is None:
        assert _factory is not None
        decoder = _decoders[stream_id] = _factory()
    return getattr(decoder, method)(*args)


# -- in the server --------------------------------------------------------------------------------------
class DecoderPool:
    """``workers`` processes, each running decoders made by ``factory`` (a picklable callable)."""

    def __init__(self, factory: Callable[[], SyncDecoder], *, workers: int) -> None:
        if workers < 1:
            raise ValueError("a decoder pool needs at least one worker")
        self._factory = factory
        self._context = multiprocessing.get_context("spawn")  # fork is unsafe in a threaded asyncio process
        self._workers: list[ProcessPoolExecutor | None] = [None] * workers
        self._load = [0] * workers
        self._ids = itertools.count(1)

    def _executor(self, index: int) -> ProcessPoolExecutor:
        executor = self._workers[index]
        if executor is None:
            executor = self._workers[index] = ProcessPoolExecutor(
                max_workers=1, mp_context=self._context, initializer=_init, initargs=(self._factory,))
        return executor

    def open(self) -> PooledStream:
        index = min(range(len(self._load)), key=self._load.__getitem__)
        self._load[index] += 1
        return PooledStream(self, index, next(self._ids))

    async def call(self, index: int, stream_id: int, method: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(index), _call, stream_id, method, *args)
        except BrokenProcessPool as exc:
            self._workers[index] = None  # the next call starts a new worker
            raise AsrWorkerFailed(f"recognizer worker {index} died: {exc}") from exc

    def release(self, index: int) -> None:
        self._load[index] -= 1

    async def warm_up(self) -> None:
        """Start every worker and load its model (a server does this at start, not on the first call)."""
        await asyncio.gather(*(self.call(i, 0, "close") for i in range(len(self._workers))))

    async def close(self) -> None:
        for index, executor in enumerate(self._workers):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
                self._workers[index] = None


class PooledStream(RecognizerStream):
    def __init__(self, pool: DecoderPool, index: int, stream_id: int) -> None:
        self._pool, self._index, self._id = pool, index, stream_id
        self._closed = False

    async def begin(self) -> None:
        await self._pool.call(self._index, self._id, "begin")

    async def accept(self, pcm: bytes) -> Hypothesis | None:
        result: Hypothesis | None = await self._pool.call(self._index, self._id, "accept", pcm)
        return result

    async def end(self) -> Hypothesis:
        result: Hypothesis = await self._pool.call(self._index, self._id, "end")
        return result

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.release(self._index)
        with contextlib.suppress(AsrWorkerFailed):  # the worker, and with it this decoder, is already gone
            await self._pool.call(self._index, self._id, "close")


class InlineStream(RecognizerStream):
    """A decoder run in the caller's thread: the CLI and tests, where one stream runs at a time."""

    def __init__(self, decoder: SyncDecoder) -> None:
        self._decoder = decoder

    async def begin(self) -> None:
        self._decoder.begin()

    async def accept(self, pcm: bytes) -> Hypothesis | None:
        return self._decoder.accept(pcm)

    async def end(self) -> Hypothesis:
        return self._decoder.end()
