"""In-process fan-out of freshly committed events to live subscribers, with bounded queues."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from callpilot.core.errors import CallpilotError
from callpilot.core.metrics import STREAM_SUBSCRIBERS
from callpilot.domain.events import RecordedEvent

__all__ = ["EventHub", "SlowConsumer", "Subscription"]


class SlowConsumer(CallpilotError):
    """A subscriber fell more than its queue size behind; it is cut off (and may resume by position)."""


class Subscription:
    def __init__(self, call_id: str | None, size: int) -> None:
        self.call_id = call_id
        self.queue: asyncio.Queue[RecordedEvent] = asyncio.Queue(maxsize=size)
        self.overflowed = False

    async def get(self, idle_seconds: float) -> RecordedEvent | None:
        """The next live event, or None after ``idle_seconds`` without one."""
        if self.overflowed:
            raise SlowConsumer(f"subscriber fell more than {self.queue.maxsize} events behind")
        try:
            return await asyncio.wait_for(self.queue.get(), idle_seconds)
        except TimeoutError:
            return None


class EventHub:
    """Registered as an event-log listener, so it sees this process's appends in commit order. The log stays
    the source of truth: subscribers catch up and fill gaps from it (see :func:`follow`)."""

    def __init__(self, *, queue_size: int) -> None:
        self.queue_size = queue_size
        self._by_call: dict[str | None, set[Subscription]] = {}

    def subscribe(self, call_id: str | None) -> Subscription:
        """``call_id=None`` subscribes to every call."""
        sub = Subscription(call_id, self.queue_size)
        self._by_call.setdefault(call_id, set()).add(sub)
        STREAM_SUBSCRIBERS.labels("all" if call_id is None else "call").inc()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._by_call.get(sub.call_id)
        if subs is not None and sub in subs:
            subs.discard(sub)
            if not subs:
                del self._by_call[sub.call_id]
            STREAM_SUBSCRIBERS.labels("all" if sub.call_id is None else "call").dec()

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            for key in (recorded.call_id, None):
                for sub in tuple(self._by_call.get(key, ())):
                    if sub.overflowed:
                        continue
                    try:
                        sub.queue.put_nowait(recorded)
                    except asyncio.QueueFull:
                        sub.overflowed = True  # never block the writer for one slow reader

    def count(self) -> int:
        return sum(len(s) for s in self._by_call.values())
