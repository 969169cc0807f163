"""The suggestion orchestrator in the real runtime: a replayed support call gets the right article, a vague one
gets clarifying questions that tick off, runs are throttled, nothing is shown twice, feedback changes rankings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callpilot.assist.knowledge import open_knowledge
from callpilot.assist.orchestrator import AssistAnalyzer
from callpilot.core.errors import ConfigError
from callpilot.core.settings import load_settings
from callpilot.domain.events import RecordedEvent, SuggestionFeedbackGiven
from callpilot.runtime import Runtime, open_runtime
from callpilot.service.calls import NewCall, NewSegment

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "examples" / "kb"
CALL = ROOT / "examples" / "calls" / "tech_support_error_code.json"


class WallClock:
    """The orchestrator's wall clock, moved by the test (throttling reads both clocks)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def control_clock(rt: Runtime) -> WallClock:
    clock = WallClock()
    for analyzer in rt.calls.background.analyzers:
        if isinstance(analyzer, AssistAnalyzer):
            analyzer.clock = clock
    return clock


class Call:
    def __init__(self, rt: Runtime, call_id: str) -> None:
        self.rt, self.call_id, self.clock = rt, call_id, 0.0
        self.wall = next((a.clock for a in rt.calls.background.analyzers if isinstance(a, AssistAnalyzer)), None)

    async def say(self, speaker: str, text: str, *, seconds: float = 3.0) -> None:
        start, self.clock = self.clock, self.clock + seconds
        if isinstance(self.wall, WallClock):
            self.wall.now += seconds  # real time passes as the segment is spoken
        await self.rt.calls.add_segment(self.call_id, NewSegment(speaker=speaker, text=text, start_time=start,
                                                                 end_time=self.clock), trace_id=None)
        await self.rt.calls.settle()

    async def events(self, *types: str) -> list[RecordedEvent]:
        return [e for e in await self.rt.log.read_call(self.call_id) if not types or e.type in types]

    async def cards(self) -> list[dict[str, Any]]:
        return [c.model_dump() for e in await self.events("SuggestionsProvided") for c in e.event.suggestions]


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    settings = load_settings(None, database_url=url, analyzers={"assist": {}, "context": {
        "products": ["Skyline Wallet"]}})
    rt = await open_runtime(settings)
    control_clock(rt)
    report = rt.knowledge.ingest([KB])
    assert report.ok
    yield rt
    await rt.close()


async def start(rt: Runtime, call_id: str) -> Call:
    await rt.calls.start_call(NewCall(call_id=call_id, agent_id="agt-1"), trace_id=None)
    return Call(rt, call_id)


async def test_replayed_support_call_gets_the_e1042_article(runtime: Runtime) -> None:
    call = await start(runtime, "tech")
    assert isinstance(call.wall, WallClock)
    for segment in json.loads(CALL.read_text())["segments"][:12]:
        call.wall.now = 1_000_000.0 + segment["end"]
        await runtime.calls.add_segment("tech", NewSegment(speaker=segment["speaker"], text=segment["text"],
                                                           start_time=segment["start"], end_time=segment["end"]),
                                        trace_id=None)
        await runtime.calls.settle()
    cards = await call.cards()
    assert cards and cards[0]["doc_id"] == "KB-1042"
    first = cards[0]
    assert first["source"] == "https://help.example.com/skyline-wallet/e1042" and first["confidence"] >= 0.45
    assert "E1042" in first["snippet"][first["highlight"][0]:first["highlight"][1]]
    assert len({c["doc_id"] for c in cards}) == len(cards)  # never the same article twice in a call
    agents = {e.event.agent for e in await call.events("AgentActionRecorded")}
    assert {"context_analysis", "query_formulation", "retrieval", "answer_cards"} <= agents
    state = await runtime.calls.get_call("tech")
    shown = state.analyzers["assist"]["suggestions"]  # newest run first, each run's cards best first
    assert sorted(c["doc_id"] for c in shown) == sorted(c["doc_id"] for c in cards)


async def test_vague_call_gets_questions_that_tick_off(runtime: Runtime) -> None:
    call = await start(runtime, "vague")
    await call.say("agent", "thanks for calling, how can I help")
    await call.say("customer", "hi um so yeah I have a bit of a problem with something")
    [asked] = await call.events("ClarifyingQuestionsAsked")
    assert [q.slot for q in asked.event.questions] == ["issue"]
    assert not await call.cards()
    await call.say("agent", "sure, what is going on")
    await call.say("customer", "the internet at my house keeps dropping out every single evening")
    answered = await call.events("ClarifyingQuestionAnswered")
    assert [a.event.slot for a in answered] == ["issue"]
    state = await runtime.calls.get_call("vague")
    assert state.analyzers["assist"]["questions"][0]["status"] == "answered"
    # no article fits (the knowledge base has none on internet service): the missing slot is asked next
    slots = [q.slot for e in await call.events("ClarifyingQuestionsAsked") for q in e.event.questions]
    assert slots == ["issue", "product"]
    await call.say("customer", "it keeps dropping, it is really annoying, every evening it drops")
    slots = [q.slot for e in await call.events("ClarifyingQuestionsAsked") for q in e.event.questions]
    assert slots == ["issue", "product"]  # not asked again


async def test_runs_are_throttled_on_call_time_and_pending_speech_is_not_lost(tmp_path: Path) -> None:
    settings = load_settings(None, database_url=f"sqlite:///{tmp_path / 't.db'}",
                             analyzers={"assist": {"min_interval_seconds": 5.0}})
    rt = await open_runtime(settings)
    clock = control_clock(rt)
    rt.knowledge.ingest([KB])
    try:
        call = await start(rt, "throttle")
        for i in range(5):  # customer segments every second, ending at 1, 2, ..., 5 s
            await call.say("customer", f"my card number {i} was declined at the shop again", seconds=1.0)
        await call.say("agent", "let me look into that for you", seconds=1.0)
        runs = sorted({(e.event.run_id, e.event.call_time) for e in await call.events("AgentActionRecorded")},
                      key=lambda r: r[1])
        times = [t for _, t in runs]
        # one run at 1 s; the customer's words at 2-5 s wait, and the agent's segment ending at 6 s runs them
        assert times == [1.0, 6.0]
        # the same call time sent faster than real time: the wall clock holds runs back too
        fast = await start(rt, "fast")
        fast.wall = None  # segments arrive 0.1 s apart in wall time while 5 s apart in call time
        for i in range(4):
            clock.now += 0.1
            await fast.say("customer", f"my card number {i} was declined at the shop again", seconds=5.0)
        runs = {e.event.run_id for e in await fast.events("AgentActionRecorded")}
        assert len(runs) == 1
        clock.now += 5.0
        await fast.say("customer", "it was declined again just now", seconds=5.0)
        assert len({e.event.run_id for e in await fast.events("AgentActionRecorded")}) == 2
    finally:
        await rt.close()


async def test_a_background_job_does_not_run_for_speech_stored_after_its_segment(runtime: Runtime) -> None:
    """The live path stores segments faster than the background handles them: the agent's segment's job then
    loads a state that already holds the customer's next one, which must run in its own job, with its words."""
    call = await start(runtime, "burst")
    await runtime.calls.settle()
    queue = runtime.calls.work_queue
    handle, gate = queue._handler, asyncio.Event()  # type: ignore[attr-defined]
    assert handle is not None

    async def held(job: Any) -> None:  # the background is behind: it starts once both segments are stored
        await gate.wait()
        await handle(job)

    queue._handler = held  # type: ignore[attr-defined]
    for speaker, text in [("agent", "thanks for calling, how can I help"),
                          ("customer", "Skyline Wallet shows error E1042 when it syncs")]:
        await runtime.calls.add_segment("burst", NewSegment(speaker=speaker, text=text, start_time=0.0,
                                                            end_time=3.0), trace_id=None)
    gate.set()
    await runtime.calls.settle()
    runs = {e.event.trigger_seq for e in await call.events("AgentActionRecorded")}
    customer = [e.seq for e in await call.events("SegmentReceived") if e.event.speaker == "customer"]
    assert runs == set(customer)
    assert [c["doc_id"] for c in await call.cards()][:1] == ["KB-1042"]


async def test_agent_speech_alone_does_not_trigger_by_default(runtime: Runtime) -> None:
    call = await start(runtime, "agent-only")
    await call.say("agent", "error E1042 on Skyline Wallet means the sync failed, clear the cache")
    assert not await call.events("AgentActionRecorded")


async def test_feedback_changes_later_rankings(runtime: Runtime) -> None:
    words = "I was charged twice by autopay this month and I want the second charge back"
    first = await start(runtime, "fb-1")
    await first.say("customer", words)
    cards = await first.cards()
    assert cards[0]["doc_id"] == "KB-4200"
    await runtime.calls.give_feedback("fb-1", SuggestionFeedbackGiven(
        suggestion_id=cards[0]["suggestion_id"], feedback="irrelevant", agent_id="agt-1"), trace_id=None)
    await runtime.calls.settle()
    second = await start(runtime, "fb-2")
    await second.say("customer", words)
    later = [c["doc_id"] for c in await second.cards()]
    assert not later or later[0] != "KB-4200"
    other = await start(runtime, "fb-3")  # an unrelated context is not affected
    await other.say("customer", "I lost my debit card yesterday, somebody may have stolen it")
    assert (await other.cards())[0]["doc_id"] == "KB-3100"


async def test_a_missing_knowledge_base_means_questions_not_failures(tmp_path: Path) -> None:
    settings = load_settings(None, database_url=f"sqlite:///{tmp_path / 'm.db'}",
                             analyzers={"assist": {"kb": "nothing-ingested"}})
    rt = await open_runtime(settings)
    try:
        call = await start(rt, "nokb")
        await call.say("customer", "my card was declined at the store this morning")
        [retrieval] = [e for e in await call.events("AgentActionRecorded") if e.event.agent == "retrieval"]
        assert retrieval.event.details["kb_missing"] is True
        assert not await call.events("AnalyzerFailed")
        assert await call.events("ClarifyingQuestionsAsked")
    finally:
        await rt.close()


@pytest.mark.parametrize("options,message", [
    ({"min_interval_seconds": -1}, "min_interval_seconds"),
    ({"max_suggestions": 0}, "max_suggestions"),
    ({"min_score": 2}, "min_score"),
    ({"trigger_speakers": ["bot"]}, "trigger_speakers"),
    ({"vector_store": "faiss"}, "vector_store"),
    ({"questions": "/nonexistent.yaml"}, "does not exist"),
])
def test_bad_options_fail_at_start(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AssistAnalyzer(database_url=f"sqlite:///{tmp_path}/x.db", **options)


def test_bad_questions_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "q.yaml"
    bad.write_text("slots:\n  issue: {question: 'What happened?'}\nintents:\n  billing: [nope]\n")
    with pytest.raises(ConfigError, match="unknown slots"):
        AssistAnalyzer(database_url=f"sqlite:///{tmp_path}/x.db", questions=bad)


def test_the_shared_service_is_one_per_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert open_knowledge(url) is open_knowledge(url)
