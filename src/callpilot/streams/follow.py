"""Follow the log from a position: history first, then live events, with no gap and no duplicate."""

from __future__ import annotations

from collections.abc import AsyncIterator

from callpilot.domain.events import RecordedEvent
from callpilot.eventlog.base import EventLog
from callpilot.streams.hub import EventHub

__all__ = ["follow"]

_PAGE = 500


async def follow(
    log: EventLog,
    hub: EventHub,
    *,
    call_id: str | None,
    after_position: int,
    poll_seconds: float,
) -> AsyncIterator[RecordedEvent | None]:
    """Yield every event after ``after_position`` (of one call, or of all calls), in position order.

    Subscribes before reading history, so nothing committed meanwhile falls between the two. Live events are
    checked for continuity (per-call sequence numbers, or positions for the all-calls stream); a hole, such
    as events another process appended, is filled from the log. While idle it re-reads the log every
    ``poll_seconds`` for the same reason, and yields None so the caller can send heartbeats.
    Raises SlowConsumer when the subscriber's queue overflowed.
    """
    sub = hub.subscribe(call_id)
    last_position, last_seq = after_position, None
    try:
        async for recorded in _from_log(log, call_id, last_position):
            yield recorded
            last_position, last_seq = recorded.position, recorded.seq
        while True:
            live = await sub.get(poll_seconds)
            if live is None:
                async for recorded in _from_log(log, call_id, last_position):
                    yield recorded
                    last_position, last_seq = recorded.position, recorded.seq
                yield None
                continue
            if live.position <= last_position:
                continue  # already sent from history
            if _has_hole(live, call_id, last_position, last_seq):
                async for recorded in _from_log(log, call_id, last_position):
                    if recorded.position > live.position:
                        break
                    yield recorded
                    last_position, last_seq = recorded.position, recorded.seq
                continue
            yield live
            last_position, last_seq = live.position, live.seq
    finally:
        hub.unsubscribe(sub)


def _has_hole(live: RecordedEvent, call_id: str | None, last_position: int, last_seq: int | None) -> bool:
    if call_id is not None:
        if last_seq is None:  # nothing sent yet: only seq 1 of a stream followed from the start is certain
            return not (last_position == 0 and live.seq == 1)
        return live.seq != last_seq + 1
    # Positions of the whole log may skip numbers (a PostgreSQL sequence after a rollback); a skip only costs
    # one read to confirm.
    return live.position != last_position + 1


async def _from_log(log: EventLog, call_id: str | None, after: int) -> AsyncIterator[RecordedEvent]:
    while True:
        page = await log.read(after_position=after, limit=_PAGE, call_id=call_id)
        for recorded in page:
            yield recorded
        if len(page) < _PAGE:
            return
        after = page[-1].position

