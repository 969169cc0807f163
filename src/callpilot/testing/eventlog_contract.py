"""The contract every EventLog backend must pass. Subclass it with ``make_log`` and ``make_second_log`` (a
second, independent instance on the same database, standing in for another process)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence

import pytest

from callpilot.core.errors import ConcurrencyConflict
from callpilot.domain.events import CallEnded, CallStarted, RecordedEvent, SegmentReceived
from callpilot.eventlog.base import EventLog

__all__ = ["EventLogContract", "segment"]


def segment(i: int, speaker: str = "customer") -> SegmentReceived:
    return SegmentReceived.model_validate(
        {"segment_id": f"s{i}", "speaker": speaker, "text": f"segment {i}", "start": float(i), "end": i + 0.5})


class EventLogContract(ABC):
    @abstractmethod
    async def make_log(self) -> EventLog: ...

    @abstractmethod
    async def make_second_log(self) -> EventLog:
        """Another instance on the same database (its own connections and writer)."""

    @pytest.fixture
    async def log(self) -> AsyncIterator[EventLog]:
        log = await self.make_log()
        yield log
        await log.close()

    async def test_append_then_read_back(self, log: EventLog) -> None:
        result = await log.append("c1", [CallStarted(agent_id="a1"), segment(1)], expected_seq=0, trace_id="t1")
        assert [e.seq for e in result.events] == [1, 2]
        assert not result.duplicate
        stored = await log.read_call("c1")
        assert [(e.seq, e.type, e.trace_id) for e in stored] == [(1, "CallStarted", "t1"),
                                                                 (2, "SegmentReceived", "t1")]
        assert stored[1].event == segment(1)
        assert stored[0].position < stored[1].position
        assert stored[0].recorded_at.tzinfo is not None

    async def test_expected_seq_conflict_writes_nothing(self, log: EventLog) -> None:
        await log.append("c1", [CallStarted(agent_id="a1")], expected_seq=0)
        with pytest.raises(ConcurrencyConflict):
            await log.append("c1", [segment(1), segment(2)], expected_seq=0)
        assert [e.seq for e in await log.read_call("c1")] == [1]

    async def test_idempotency_key_stores_once(self, log: EventLog) -> None:
        await log.append("c1", [CallStarted(agent_id="a1")])
        first = await log.append("c1", [segment(1)], idempotency_key="k1")
        again = await log.append("c1", [segment(1)], idempotency_key="k1")
        assert again.duplicate and again.events[0].position == first.events[0].position
        assert len(await log.read_call("c1")) == 2
        found = await log.find_key("c1", "k1")
        assert found is not None and found.seq == 2
        assert await log.find_key("c1", "nope") is None
        # the same key on another call is another segment
        assert not (await log.append("c2", [segment(1)], idempotency_key="k1")).duplicate

    async def test_concurrent_retries_of_one_key_store_once(self, log: EventLog) -> None:
        results = await asyncio.gather(*(log.append("c1", [segment(1)], idempotency_key="k") for _ in range(20)))
        assert sum(not r.duplicate for r in results) == 1
        assert len({r.events[0].position for r in results}) == 1
        assert len(await log.read_call("c1")) == 1

    async def test_a_failing_request_does_not_sink_others_committed_with_it(self, log: EventLog) -> None:
        await log.append("c1", [CallStarted(agent_id="a1")])
        outcomes = await asyncio.gather(
            log.append("c1", [segment(1)], expected_seq=99),
            *(log.append(f"other{i}", [segment(i)]) for i in range(10)),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], ConcurrencyConflict)
        assert all(not isinstance(o, BaseException) for o in outcomes[1:])
        assert len(await log.read()) == 11

    async def test_concurrent_writers_to_one_call_leave_no_gap(self, log: EventLog) -> None:
        other = await self.make_second_log()
        try:
            async def writer(target: EventLog, n: int) -> None:
                for i in range(n):
                    await target.append("busy", [segment(i), segment(i + 1000)])

            await asyncio.gather(*(writer(log if w % 2 else other, 15) for w in range(8)))
        finally:
            await other.close()
        seqs = [e.seq for e in await log.read_call("busy")]
        assert seqs == list(range(1, 8 * 15 * 2 + 1))

    async def test_tailing_reader_sees_every_event_once_in_order(self, log: EventLog) -> None:
        other = await self.make_second_log()
        total = 6 * 25
        seen: list[RecordedEvent] = []

        async def tail() -> None:
            after = 0
            while len(seen) < total:
                page = await log.read(after_position=after, limit=37)
                seen.extend(page)
                if page:
                    after = page[-1].position
                else:
                    await asyncio.sleep(0.001)

        async def writer(target: EventLog, call: str) -> None:
            for i in range(25):
                await target.append(call, [segment(i)])

        try:
            await asyncio.wait_for(asyncio.gather(
                tail(), *(writer(log if w % 2 else other, f"call{w}") for w in range(6))), 60)
        finally:
            await other.close()
        positions = [e.position for e in seen]
        assert positions == sorted(positions) and len(set(positions)) == total
        for w in range(6):
            assert [e.seq for e in seen if e.call_id == f"call{w}"] == list(range(1, 26))

    async def test_read_filters_and_pages(self, log: EventLog) -> None:
        await log.append("a", [CallStarted(agent_id="x"), segment(1), segment(2)])
        await log.append("b", [CallStarted(agent_id="y"), segment(1), CallEnded()])
        everything = await log.read()
        assert len(everything) == 6
        assert [e.call_id for e in await log.read(call_id="b")] == ["b"] * 3
        starts = await log.read(types=["CallStarted", "CallEnded"])
        assert [e.type for e in starts] == ["CallStarted", "CallStarted", "CallEnded"]
        page = await log.read(after_position=everything[1].position, limit=2)
        assert [e.position for e in page] == [e.position for e in everything[2:4]]
        assert [e.seq for e in await log.read_call("a", after_seq=1, limit=1)] == [2]
        assert await log.last_position() == everything[-1].position

    async def test_listeners_hear_commits_in_order(self, log: EventLog) -> None:
        heard: list[int] = []

        def listener(events: Sequence[RecordedEvent]) -> None:
            heard.extend(e.position for e in events)

        log.add_listener(listener)
        await asyncio.gather(*(log.append(f"c{i % 3}", [segment(i)]) for i in range(30)))
        assert heard == sorted(heard) and len(heard) == 30

    async def test_events_survive_reopening(self, log: EventLog) -> None:
        await log.append("c1", [CallStarted(agent_id="a1", queue="billing"), segment(1)])
        await log.close()
        reopened = await self.make_second_log()
        try:
            events = await reopened.read_call("c1")
        finally:
            await reopened.close()
        assert [e.type for e in events] == ["CallStarted", "SegmentReceived"]
        assert isinstance(events[0].event, CallStarted) and events[0].event.queue == "billing"
        await log.start()  # the fixture closes it again

    async def test_empty_append_is_refused(self, log: EventLog) -> None:
        with pytest.raises(ValueError):
            await log.append("c1", [])
