from __future__ import annotations

import asyncio

from callpilot.bus.base import Job
from callpilot.bus.inprocess import InProcessWorkQueue


async def test_jobs_of_one_call_stay_in_order_and_calls_run_in_parallel() -> None:
    queue = InProcessWorkQueue(partitions=4, capacity=400)
    handled: dict[str, list[int]] = {}
    running, peak = 0, 0

    async def handler(job: Job) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        handled.setdefault(job.call_id, []).append(job.seq)
        running -= 1

    await queue.start(handler)
    for seq in range(1, 21):
        for call in range(8):
            assert await queue.submit(Job(call_id=f"call-{call}", seq=seq), wait_seconds=1)
    await queue.stop(drain_seconds=10)
    assert all(seqs == list(range(1, 21)) for seqs in handled.values()) and len(handled) == 8
    assert 1 < peak <= 4  # parallel across partitions, bounded by their number


async def test_full_queue_pushes_back() -> None:
    queue = InProcessWorkQueue(partitions=1, capacity=2)
    gate = asyncio.Event()

    async def handler(job: Job) -> None:
        await gate.wait()

    await queue.start(handler)
    results = [await queue.submit(Job(call_id="c", seq=i), wait_seconds=0.05) for i in range(5)]
    assert results[:3] == [True, True, True] and results[3:] == [False, False]  # 1 running + 2 queued
    assert queue.depth() == 2
    gate.set()
    await queue.stop(drain_seconds=5)
    assert not await queue.submit(Job(call_id="c", seq=9), wait_seconds=0.05)  # stopped: refuses


async def test_a_crashing_handler_does_not_stop_the_worker() -> None:
    queue = InProcessWorkQueue(partitions=1, capacity=10)
    done: list[int] = []

    async def handler(job: Job) -> None:
        if job.seq == 1:
            raise RuntimeError("boom")
        done.append(job.seq)

    await queue.start(handler)
    for seq in (1, 2, 3):
        await queue.submit(Job(call_id="c", seq=seq), wait_seconds=1)
    await queue.stop(drain_seconds=5)
    assert done == [2, 3]
