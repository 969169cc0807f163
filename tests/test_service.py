"""CallService: the background path, back-pressure and state rebuilt from the log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.registry import ANALYZERS
from callpilot.core.settings import load_settings
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived, SuggestionFeedbackGiven
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.runtime import open_runtime
from callpilot.service.calls import NewCall, NewSegment


class SlowEcho(Analyzer):
    """A background analyzer that takes its time and answers with feedback-shaped events (any event type
    would do; this one needs no new schema)."""

    name: ClassVar[str] = "slow_echo"
    gate: ClassVar[asyncio.Event | None] = None

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if self.gate is not None:
            await self.gate.wait()
        assert isinstance(event, SegmentReceived)
        return [SuggestionFeedbackGiven(suggestion_id=f"echo:{event.segment_id}", feedback="clicked")]


def seg(i: int) -> NewSegment:
    return NewSegment(speaker="customer", text=f"words {i}", start_time=i, end_time=i + 0.5, segment_id=f"s{i}")


async def test_background_results_follow_without_delaying_the_answer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(ANALYZERS, "slow_echo", SlowEcho)
    SlowEcho.gate = asyncio.Event()
    settings = load_settings(None, pipeline={"inline": ["talk_stats"], "background": ["slow_echo"]})
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "bg.db"))
    try:
        await rt.calls.start_call(NewCall(call_id="c", agent_id="a"), trace_id=None)
        outcome = await asyncio.wait_for(rt.calls.add_segment("c", seg(1), trace_id="t"), 2)
        assert [e.type for e in outcome.produced] == ["TalkStatsUpdated"]  # answered while the gate is shut
        SlowEcho.gate.set()
        for _ in range(100):
            state = await rt.calls.get_call("c")
            if state.feedback:
                break
            await asyncio.sleep(0.02)
        assert state.feedback[0]["suggestion_id"] == "echo:s1"
    finally:
        SlowEcho.gate = None
        await rt.close()


async def test_full_background_queue_is_recorded_not_silent(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(ANALYZERS, "slow_echo", SlowEcho)
    SlowEcho.gate = asyncio.Event()
    settings = load_settings(None, pipeline={"background": ["slow_echo"], "background_workers": 1,
                                             "background_queue_size": 1})
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "bp.db"))
    rt.calls.enqueue_timeout = 0.05
    try:
        await rt.calls.start_call(NewCall(call_id="c", agent_id="a"), trace_id=None)
        for i in range(4):
            await rt.calls.add_segment("c", seg(i), trace_id=None)
        failures = [e for e in await rt.log.read_call("c") if e.type == "AnalyzerFailed"]
        assert failures and failures[0].event.category == "rate_limit"  # type: ignore[attr-defined]
    finally:
        SlowEcho.gate.set()
        SlowEcho.gate = None
        await rt.close()


async def test_state_after_restart_is_the_same(tmp_path: Path) -> None:
    settings = load_settings(None)
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "r.db"))
    await rt.calls.start_call(NewCall(call_id="c", agent_id="a", queue="billing"), trace_id=None)
    for i in range(5):
        await rt.calls.add_segment("c", seg(i), trace_id=None)
    await rt.calls.stop()  # the background analyzers' events are in the warm state and the log, too
    before = (await rt.calls.get_call("c")).model_dump()
    listing = await rt.calls.list_calls()
    await rt.close()
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "r.db"))
    try:
        assert (await rt.calls.get_call("c")).model_dump() == before
        assert await rt.calls.list_calls() == listing
    finally:
        await rt.close()


async def test_two_processes_on_one_call_do_not_conflict(tmp_path: Path) -> None:
    settings = load_settings(None)
    one = await open_runtime(settings, log=SqliteEventLog(tmp_path / "two.db"))
    two = await open_runtime(settings, log=SqliteEventLog(tmp_path / "two.db"))
    try:
        await one.calls.start_call(NewCall(call_id="c", agent_id="a"), trace_id=None)
        await asyncio.gather(*(rt.calls.add_segment("c", seg(i), trace_id=None)
                               for i, rt in enumerate([one, two] * 10)))
        state = await one.calls.get_call("c")
        assert len(state.segments) == 20
        assert state.analyzers["talk_stats"]["turns"]["customer"] == 1
        events = await one.log.read_call("c")
        assert [e.seq for e in events] == list(range(1, len(events) + 1))  # gap-free, every analyzer's events
        assert sum(e.type == "SegmentReceived" for e in events) == 20
    finally:
        await one.close()
        await two.close()


async def test_only_recent_ended_calls_stay_warm_and_others_rebuild(tmp_path: Path) -> None:
    rt = await open_runtime(load_settings(None), log=SqliteEventLog(tmp_path / "warm.db"))
    rt.calls.states._ended_capacity = 2
    try:
        for name in ("a", "b", "c"):
            await rt.calls.start_call(NewCall(call_id=name, agent_id="x"), trace_id=None)
            await rt.calls.add_segment(name, seg(1), trace_id=None)
            await rt.calls.end_call(name, "completed", trace_id=None)
        assert rt.calls.states.cached("a") is None  # the oldest ended call left the cache
        assert rt.calls.states.cached("c") is not None
        rebuilt = await rt.calls.get_call("a")
        assert rebuilt.status == "ended" and [s.text for s in rebuilt.segments] == ["words 1"]
    finally:
        await rt.close()


def test_a_background_job_finds_its_segment_in_the_warm_state() -> None:
    from callpilot.domain.call import CallState, Segment
    from callpilot.service.calls import _segment_from_state

    state = CallState(call_id="c", segments=[
        Segment(segment_id=f"s{i}", seq=2 * i, speaker="customer", text=f"t{i}", start=i, end=i + 1)
        for i in range(1, 5)])
    found = _segment_from_state(state, 6)
    assert found is not None and (found.segment_id, found.text) == ("s3", "t3")
    assert _segment_from_state(state, 5) is None  # not a final segment: the job reads the log
    assert _segment_from_state(state, 99) is None
