"""The LLM query stage against a local server speaking the chat-completions wire format (no model can be
downloaded here, so this checks the adapter and the protocol the openai SDK speaks, not a model)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callpilot.assist.kb.loaders import document_from_markdown
from callpilot.assist.orchestrator.llm_analyzer import AssistLlmAnalyzer
from callpilot.core.errors import ConfigError
from callpilot.core.settings import load_settings
from callpilot.runtime import Runtime, open_runtime
from callpilot.service.calls import NewCall, NewSegment
from tests.fake_llm import FakeLLM, serving_llm


@pytest.fixture
async def llm() -> AsyncIterator[tuple[FakeLLM, str]]:
    fake = FakeLLM('"HomeLink router reboot firmware update"\n')
    async with serving_llm(fake) as url:
        yield fake, url


@pytest.fixture
async def runtime(tmp_path: Path, llm: tuple[FakeLLM, str]) -> AsyncIterator[Runtime]:
    settings = load_settings(None, database_url=f"sqlite:///{tmp_path / 'llm.db'}",
                             pipeline={"background": ["context", "assist", "assist_llm"]},
                             analyzers={"assist": {"min_interval_seconds": 0},
                                        "assist_llm": {"base_url": llm[1], "model": "test-model",
                                                       "timeout_seconds": 2, "max_retries": 0}})
    rt = await open_runtime(settings)
    rt.knowledge.put_document("default", document_from_markdown(
        "A HomeLink router that reboots every few minutes needs the firmware update 3.2. Hold the reset button "
        "for ten seconds, then install 3.2 from the app.", doc_id="KB-77", title="HomeLink router keeps rebooting"))
    rt.knowledge.put_document("default", document_from_markdown(
        "Billing dates can be moved once a year.", doc_id="KB-1", title="Changing the billing date"))
    yield rt
    await rt.close()


async def say(rt: Runtime, call_id: str, text: str) -> None:
    await rt.calls.add_segment(call_id, NewSegment(speaker="customer", text=text, start_time=0, end_time=3),
                               trace_id=None)
    await rt.calls.settle()


async def test_the_llm_query_finds_what_the_customer_words_did_not(runtime: Runtime,
                                                                    llm: tuple[FakeLLM, str]) -> None:
    fake, _ = llm
    await runtime.calls.start_call(NewCall(call_id="c", agent_id="a"), trace_id=None)
    await say(runtime, "c", "the little box with the blinking lights keeps dying on me, call me on 555 867 5309")
    events = await runtime.log.read_call("c")
    [sent] = fake.requests
    user = sent["messages"][1]["content"]
    assert sent["model"] == "test-model" and "[PHONE_NUMBER]" in user and "867" not in user  # redacted only
    steps = [(e.event.agent, e.event.action) for e in events if e.type == "AgentActionRecorded"]
    assert ("query_formulation", "llm_reformulate") in steps and ("retrieval", "llm_search") in steps
    [llm_step] = [e.event for e in events if e.type == "AgentActionRecorded" and e.event.action == "llm_reformulate"]
    assert llm_step.details["prompt_tokens"] == 61 and llm_step.details["completion_tokens"] == 7
    cards = [(c.doc_id, c.query) for e in events if e.type == "SuggestionsProvided" for c in e.event.suggestions]
    assert ("KB-77", "HomeLink router reboot firmware update") in cards
    fast_run = next(e.event.run_id for e in events if e.type == "AgentActionRecorded")
    assert llm_step.run_id == fast_run  # one run, two stages
    first_fast = min(e.seq for e in events if e.type == "AgentActionRecorded")
    assert first_fast < next(e.seq for e in events if e.type == "AgentActionRecorded"
                             and e.event.action == "llm_reformulate")  # the fast stage was stored first


@pytest.mark.parametrize("status,category,permanent", [(500, "server", False), (401, "auth", True),
                                                        (429, "rate_limit", False), (400, "bad_input", True)])
async def test_server_failures_are_recorded_and_the_fast_stage_stands(runtime: Runtime, llm: tuple[FakeLLM, str],
                                                                      status: int, category: str,
                                                                      permanent: bool) -> None:
    fake, _ = llm
    fake.status = status
    await runtime.calls.start_call(NewCall(call_id="f", agent_id="a"), trace_id=None)
    await say(runtime, "f", "my HomeLink router keeps rebooting every few minutes")
    events = await runtime.log.read_call("f")
    [failed] = [e.event for e in events if e.type == "AnalyzerFailed"]
    assert (failed.analyzer, failed.category, failed.permanent) == ("assist_llm", category, permanent)
    assert any(e.type == "SuggestionsProvided" for e in events)  # the fast stage's card is there regardless


async def test_a_slow_server_times_out(runtime: Runtime, llm: tuple[FakeLLM, str]) -> None:
    fake, _ = llm
    fake.delay = 3.0
    await runtime.calls.start_call(NewCall(call_id="s", agent_id="a"), trace_id=None)
    await say(runtime, "s", "my HomeLink router keeps rebooting every few minutes")
    [failed] = [e.event for e in await runtime.log.read_call("s") if e.type == "AnalyzerFailed"]
    assert failed.category == "connectivity" and "too slow" in failed.message


async def test_no_run_of_the_fast_stage_no_llm_call(runtime: Runtime, llm: tuple[FakeLLM, str]) -> None:
    await runtime.calls.start_call(NewCall(call_id="n", agent_id="a"), trace_id=None)
    await runtime.calls.add_segment("n", NewSegment(speaker="agent", text="how can I help you with your router",
                                                    start_time=0, end_time=2), trace_id=None)
    await runtime.calls.settle()
    assert llm[0].requests == []


@pytest.mark.parametrize("options,message", [
    ({}, "needs base_url and model"),
    ({"base_url": "ftp://x", "model": "m"}, "http"),
    ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "timeout_seconds": 0}, "timeout_seconds"),
])
def test_bad_options_fail_at_start(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AssistLlmAnalyzer(database_url=f"sqlite:///{tmp_path}/x.db", **options)
