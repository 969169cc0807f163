"""The embedded WorkQueue: asyncio queues inside the API process, one worker per partition."""

from __future__ import annotations

import asyncio
import contextlib
import zlib

from callpilot.bus.base import Job, JobHandler, WorkQueue
from callpilot.core.logging import get_logger

__all__ = ["InProcessWorkQueue"]

log = get_logger(__name__)


class InProcessWorkQueue(WorkQueue):
    """``partitions`` workers, each owning the calls that hash to it (the same partitioning a Redis Streams
    consumer group uses), so concurrency is bounded and a call's jobs never overtake each other.

    Jobs queued here are lost if the process dies; what they would compute can be recomputed from the log.
    """

    def __init__(self, *, partitions: int, capacity: int) -> None:
        self._queues = [asyncio.Queue[Job](maxsize=max(1, capacity // partitions)) for _ in range(partitions)]
        self._tasks: list[asyncio.Task[None]] = []
        self._handler: JobHandler | None = None
        self._accepting = False

    async def start(self, handler: JobHandler) -> None:
        self._handler = handler
        self._accepting = True
        self._tasks = [asyncio.create_task(self._work(q), name=f"bg-worker-{i}") for i, q in enumerate(self._queues)]

    def _partition(self, call_id: str) -> asyncio.Queue[Job]:
        return self._queues[zlib.crc32(call_id.encode()) % len(self._queues)]

    async def submit(self, job: Job, *, wait_seconds: float) -> bool:
        if not self._accepting:
            return False
        try:
            await asyncio.wait_for(self._partition(job.call_id).put(job), wait_seconds)
        except TimeoutError:
            return False
        return True

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        assert self._handler is not None
        while True:
            job = await queue.get()
            try:
                await self._handler(job)
            except Exception:  # the handler records analyzer failures itself; this is a bug, keep the worker alive
                log.exception("background_job_failed", call_id=job.call_id, seq=job.seq)
            finally:
                queue.task_done()

    async def stop(self, *, drain_seconds: float) -> None:
        self._accepting = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in self._queues)), drain_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def join(self) -> None:
        await asyncio.gather(*(q.join() for q in self._queues))

    def depth(self) -> int:
        return sum(q.qsize() for q in self._queues)
