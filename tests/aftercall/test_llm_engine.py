"""The LLM engine against a local server speaking the chat-completions wire format. No model can be downloaded
here, so this checks the adapter (the request the openai SDK sends, validation, grounding, retries, fallback,
token and cost accounting), not a model's judgment."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from callpilot.aftercall.batch import BatchAnalyzer
from callpilot.aftercall.engines import AfterCallOptions, build_engine
from callpilot.core.errors import AnalyzerError, ConfigError
from callpilot.core.settings import load_settings
from tests.aftercall.fixtures import FIELDS_YAML, VAULT_KEY, analyze, transcript
from tests.fake_llm import FakeLLM, serving_llm

CALL = transcript(
    ("agent", "thanks for calling, how can i help"),
    ("customer", "i want to pay my electric bill"),
    ("agent", "how much would you like to pay"),
    ("customer", "two hundred fifty dollars"),
    ("agent", "and what's a good callback number"),
    ("customer", "five five five two one two zero one four two"),
    ("agent", "i've scheduled the payment, you'll get a confirmation by email within a day"),
    ("customer", "great thanks"),
)


def good_answer(**changes: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "summary": [{"text": "The customer wants to pay the electric bill.", "segments": [1]},
                    {"text": "The agent scheduled the payment of two hundred fifty dollars.", "segments": [3, 6]}],
        "bullets": ["Issue: pay the electric bill", "Done: payment scheduled", "Next: confirmation by email"],
        "intent": {"name": "billing_dispute", "confidence": 0.95},
        "resolution": "resolved",
        "action_items": [{"text": "The customer will get a confirmation by email", "owner": "team",
                          "due": "within a day", "segments": [6]}],
        "disposition": {"value": "Resolved", "confidence": 0.99, "segments": [6, 7]},
        "fields": [{"name": "payment_amount", "value": "250", "confidence": 0.95, "evidence": [3]},
                   {"name": "callback_number", "value": "[PHONE_NUMBER]", "confidence": 0.9, "evidence": [5]}],
    }
    answer.update(changes)
    return answer


@pytest.fixture
async def llm() -> AsyncIterator[tuple[FakeLLM, str]]:
    fake = FakeLLM(json.dumps(good_answer()), prompt_tokens=400, completion_tokens=120)
    async with serving_llm(fake) as url:
        yield fake, url


@pytest.fixture
def make_batch(tmp_path: Path, llm: tuple[FakeLLM, str]) -> Callable[..., BatchAnalyzer]:
    schema = tmp_path / "fields.yaml"
    schema.write_text(FIELDS_YAML)

    def make(**llm_options: Any) -> BatchAnalyzer:
        options = {"base_url": llm[1], "model": "test-model", "timeout_seconds": 2, "max_retries": 0,
                   "prompt_price_per_1k": 0.5, "completion_price_per_1k": 1.5, **llm_options}
        settings = load_settings(None, vault_key=VAULT_KEY,
                                 analyzers={"aftercall": {"engine": "llm", "fields_file": schema, "llm": options}})
        return BatchAnalyzer.from_settings(settings)

    return make


async def test_a_grounded_answer_is_taken_and_accounted(make_batch: Callable[..., BatchAnalyzer],
                                                        llm: tuple[FakeLLM, str]) -> None:
    _state, analysis = await analyze(make_batch(), CALL)
    fake = llm[0]
    assert analysis["engine"] == "llm:test-model"
    assert analysis["fields"]["payment_amount"]["value"] == "$250.00"
    assert analysis["fields"]["payment_amount"]["evidence"] == [3]
    assert analysis["fields"]["callback_number"]["value"] == "[PHONE_NUMBER]"
    assert analysis["fields"]["callback_number"]["sealed"]
    assert [s["segments"] for s in analysis["summary"]["sentences"]] == [[1], [3, 6]]
    assert analysis["disposition"] == {"value": "Resolved", "confidence": 0.9, "segments": [6, 7]}  # capped
    assert analysis["usage"] == {"model": "test-model", "requests": 1, "prompt_tokens": 400,
                                 "completion_tokens": 120, "cost": 0.38}
    request = fake.requests[0]
    assert request["response_format"]["type"] == "json_schema"
    assert "summary" in request["response_format"]["json_schema"]["schema"]["properties"]
    prompt = request["messages"][1]["content"]
    assert "[3] customer: two hundred fifty dollars" in prompt
    assert "[PHONE_NUMBER]" in prompt and "zero one four two" not in prompt  # only redacted text is sent


async def test_ungrounded_values_and_sentences_are_dropped_and_flagged(
        make_batch: Callable[..., BatchAnalyzer], llm: tuple[FakeLLM, str]) -> None:
    llm[0].replies = [json.dumps(good_answer(
        summary=[{"text": "The customer wants to pay the electric bill.", "segments": [1]},
                 {"text": "The customer asked to upgrade the router firmware.", "segments": [2]}],
        fields=[{"name": "payment_amount", "value": "$400", "confidence": 0.9, "evidence": [3]}],
        disposition={"value": "Sold", "confidence": 0.9, "segments": [6]}))]
    _state, analysis = await analyze(make_batch(), CALL)
    amount = analysis["fields"]["payment_amount"]
    assert amount["value"] is None and "not in the segments it cites" in amount["note"]
    assert [s["text"] for s in analysis["summary"]["sentences"]] == ["The customer wants to pay the electric bill."]
    reasons = " | ".join(analysis["review_reasons"])
    assert "fields.payment_amount: required, not found" in reasons
    assert "1 sentence(s)" in reasons and "'Sold', not a configured value" in reasons
    assert analysis["disposition"]["value"] in ("Resolved", "Unresolved", "Callback", "Booked")  # the local one


async def test_invalid_json_is_asked_again(make_batch: Callable[..., BatchAnalyzer],
                                           llm: tuple[FakeLLM, str]) -> None:
    llm[0].replies = ["```json\n{not json", json.dumps(good_answer())]
    _state, analysis = await analyze(make_batch(), CALL)
    assert analysis["engine"] == "llm:test-model" and analysis["usage"]["requests"] == 2
    assert "not valid" in llm[0].requests[1]["messages"][-1]["content"]


@pytest.mark.parametrize("failure", ["invalid_json", "timeout", "server_error"])
async def test_failures_fall_back_to_the_local_engine(make_batch: Callable[..., BatchAnalyzer],
                                                      llm: tuple[FakeLLM, str], failure: str) -> None:
    fake = llm[0]
    if failure == "invalid_json":
        fake.replies = ['{"summary": "not a list"}']
    elif failure == "timeout":
        fake.delay = 3.0
    else:
        fake.status = 500
    _state, analysis = await analyze(make_batch(timeout_seconds=0.5), CALL)
    assert analysis["engine"] == "local"
    assert analysis["fallback_reason"]
    assert analysis["needs_review"] and any("LLM engine failed" in r for r in analysis["review_reasons"])
    assert analysis["fields"]["payment_amount"]["value"] == "$250.00"  # nothing lost: the local result


async def test_without_fallback_the_failure_is_an_analyzer_error(make_batch: Callable[..., BatchAnalyzer],
                                                                 llm: tuple[FakeLLM, str]) -> None:
    llm[0].status = 503
    with pytest.raises(AnalyzerError) as error:
        await analyze(make_batch(fallback="none"), CALL)
    assert error.value.category == "server" and not error.value.permanent


@pytest.mark.parametrize(("options", "message"), [
    ({"engine": "llm"}, "needs an llm section"),
    ({"engine": "llm", "llm": {"base_url": "ftp://x", "model": "m"}}, r"http\(s\) URL"),
    ({"engine": "gpt"}, "engine"),
    ({"review_threshold": 2}, "review_threshold"),
    ({"fields_file": "/nonexistent.yaml"}, "does not exist"),
])
def test_bad_engine_settings_fail_at_start_up(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_engine(AfterCallOptions.parse(options))


def test_a_long_transcript_is_cut_to_its_start_and_end() -> None:
    from callpilot.aftercall.engines.llm import _within_budget

    lines = [f"[{i}] agent: {'word ' * 20}" for i in range(2000)]
    cut = _within_budget(lines, budget=10_000)
    assert sum(len(line) + 1 for line in cut) <= 10_100
    assert cut[0].startswith("[0] ") and cut[-1].startswith("[1999] ") and "segments left out" in " ".join(cut)


def test_the_llm_engine_needs_redaction_first(tmp_path: Path) -> None:
    settings = load_settings(None, pipeline={"inline": ["rules"]},
                             analyzers={"aftercall": {"engine": "llm", "llm": {"base_url": "http://127.0.0.1:9/v1",
                                                                               "model": "m"}}})
    with pytest.raises(ConfigError, match="needs pii"):
        BatchAnalyzer.from_settings(settings)
