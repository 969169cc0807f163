from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from callpilot.domain.events import CallStarted, RecordedEvent
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.streams.follow import follow
from callpilot.streams.hub import EventHub, SlowConsumer
from callpilot.testing.eventlog_contract import segment


async def collect(gen, n: int) -> list[RecordedEvent]:
    out: list[RecordedEvent] = []
    async for item in gen:
        if item is not None:
            out.append(item)
            if len(out) == n:
                break
    return out


@pytest.fixture
async def logs(tmp_path: Path):
    """Two logs on one file: ``mine`` feeds the hub, ``theirs`` stands for another process."""
    mine, theirs = SqliteEventLog(tmp_path / "f.db"), SqliteEventLog(tmp_path / "f.db")
    await mine.start()
    await theirs.start()
    yield mine, theirs
    await mine.close()
    await theirs.close()


async def test_history_then_live_without_duplicates(logs) -> None:
    mine, _ = logs
    hub = EventHub(queue_size=100)
    mine.add_listener(hub.publish)
    await mine.append("c", [CallStarted(agent_id="a"), segment(1)])
    gen = follow(mine, hub, call_id="c", after_position=0, poll_seconds=5)
    task = asyncio.create_task(collect(gen, 5))
    await asyncio.sleep(0.05)
    for i in range(2, 5):
        await mine.append("c", [segment(i)])
    events = await asyncio.wait_for(task, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("call_id", ["c", None])
async def test_events_from_another_process_are_not_missed(logs, call_id: str | None) -> None:
    mine, theirs = logs
    hub = EventHub(queue_size=100)
    mine.add_listener(hub.publish)
    await mine.append("c", [CallStarted(agent_id="a")])
    task = asyncio.create_task(collect(follow(mine, hub, call_id=call_id, after_position=0, poll_seconds=30), 4))
    await asyncio.sleep(0.05)
    await theirs.append("c", [segment(1), segment(2)])  # the hub never hears of these
    await mine.append("c", [segment(3)])  # ... but this one shows the hole
    events = await asyncio.wait_for(task, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4]


async def test_idle_stream_polls_the_log(logs) -> None:
    mine, theirs = logs
    hub = EventHub(queue_size=100)
    await mine.append("c", [CallStarted(agent_id="a")])
    task = asyncio.create_task(collect(follow(mine, hub, call_id="c", after_position=1, poll_seconds=0.05), 1))
    await theirs.append("c", [segment(1)])
    assert [e.seq for e in await asyncio.wait_for(task, 5)] == [2]


async def test_slow_consumer_is_cut_off_and_others_are_not(logs) -> None:
    mine, _ = logs
    hub = EventHub(queue_size=10)
    mine.add_listener(hub.publish)
    await mine.append("c", [CallStarted(agent_id="a")])
    slow = follow(mine, hub, call_id="c", after_position=0, poll_seconds=5)
    assert (await anext(slow)).seq == 1
    fast = asyncio.create_task(collect(follow(mine, hub, call_id="c", after_position=1, poll_seconds=5), 15))
    await asyncio.sleep(0.05)
    for i in range(15):
        await mine.append("c", [segment(i)])
    assert len(await asyncio.wait_for(fast, 5)) == 15
    with pytest.raises(SlowConsumer):
        async for _ in slow:
            pass
    assert hub.count() == 0
