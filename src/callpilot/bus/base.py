"""WorkQueue: partitioned by call, so one call's jobs run in order while different calls run in parallel."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Job", "JobHandler", "WorkQueue"]


@dataclass(frozen=True, slots=True)
class Job:
    """Background work for the event at ``seq`` of ``call_id``. Only ids travel: the worker reads the rest
    from the event log, so a job can be handled by any process."""

    call_id: str
    seq: int
    trace_id: str | None = None


JobHandler = Callable[[Job], Awaitable[None]]


class WorkQueue(ABC):
    @abstractmethod
    async def start(self, handler: JobHandler) -> None:
        """Begin handing jobs to ``handler``."""

    @abstractmethod
    async def submit(self, job: Job, *, wait_seconds: float) -> bool:
        """Queue a job; False when the queue stayed full for ``wait_seconds`` (back-pressure)."""

    @abstractmethod
    async def stop(self, *, drain_seconds: float) -> None:
        """Stop taking jobs, finish queued ones for up to ``drain_seconds``, then cancel the rest."""

    @abstractmethod
    async def join(self) -> None:
        """Wait until every job submitted so far has been handled (tests, benchmarks, orderly shutdown)."""

    @abstractmethod
    def depth(self) -> int:
        """Jobs queued and not yet started."""
