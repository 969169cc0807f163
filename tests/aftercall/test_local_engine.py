"""The local engine on the sample calls and on bad input: every statement cites the segments it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callpilot.aftercall.grounding import sentence_support
from callpilot.aftercall.outcome import load_dispositions
from callpilot.core.errors import ConfigError
from callpilot.domain.analysis import SCHEMA_VERSION, CallAnalysis
from callpilot.replay.transcript import Transcript, TranscriptSegment, load_transcript
from tests.aftercall.fixtures import EXAMPLES, analyze, batch, transcript

SAMPLES = ["home_services_booking", "bank_card_replacement", "billing_dispute_escalation", "tech_support_error_code"]


@pytest.fixture(scope="module")
def analyses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, dict[str, Any]]]:
    import asyncio

    b = batch(tmp_path_factory.mktemp("engine"))

    async def run() -> dict[str, tuple[Any, dict[str, Any]]]:
        return {name: await analyze(b, load_transcript(EXAMPLES / f"{name}.json")) for name in SAMPLES}

    return asyncio.run(run())


@pytest.mark.parametrize("name", SAMPLES)
def test_every_statement_is_grounded_in_its_segments(analyses: dict[str, Any], name: str) -> None:
    state, analysis = analyses[name]
    CallAnalysis.model_validate({k: v for k, v in analysis.items() if k not in ("input", "call_id")})
    assert analysis["schema_version"] == SCHEMA_VERSION and analysis["engine"] == "local"
    texts = [s.text for s in state.segments]
    assert analysis["summary"]["sentences"], "a summary"
    assert len(analysis["summary"]["bullets"]) == 3
    for sentence in analysis["summary"]["sentences"]:
        cited = [texts[i] for i in sentence["segments"]]
        assert sentence_support(sentence["text"], cited) >= 0.8, sentence
    for item in analysis["action_items"]:
        assert item["owner"] in ("agent", "customer", "team")
        assert sentence_support(item["text"], [texts[i] for i in item["segments"]]) >= 0.8, item
    for result in analysis["fields"].values():
        assert all(0 <= i < len(texts) for i in result["evidence"])
        assert (result["value"] is None) == (not result["evidence"]) or result["note"]
    assert 0 <= analysis["confidence"] <= 1
    assert analysis["needs_review"] == bool(analysis["review_reasons"])


@pytest.mark.parametrize(("name", "disposition", "resolution"), [
    ("home_services_booking", "Booked", "follow_up"),
    ("billing_dispute_escalation", "Escalated", "escalated"),
    ("bank_card_replacement", "Resolved", "resolved"),
])
def test_disposition_and_resolution(analyses: dict[str, Any], name: str, disposition: str, resolution: str) -> None:
    _state, analysis = analyses[name]
    assert analysis["disposition"]["value"] == disposition
    assert analysis["disposition"]["segments"]
    assert analysis["resolution"] == resolution


def test_live_analyzers_feed_sentiment_compliance_and_intent(analyses: dict[str, Any]) -> None:
    _state, booking = analyses["home_services_booking"]
    assert booking["compliance"]["ruleset"] == "home_services"
    assert any(v["rule_id"] == "no-arrival-guarantee" and v["segment"] is not None
               for v in booking["compliance"]["violations"])
    assert any("critical rule no-arrival-guarantee" in r for r in booking["review_reasons"])
    _state, dispute = analyses["billing_dispute_escalation"]
    assert dispute["sentiment"]["trend"] in ("improving", "worsening", "steady")
    assert dispute["sentiment"]["start"] < 0
    assert dispute["intent"]["name"] == "billing_dispute" and dispute["intent"]["segments"]
    _state, card = analyses["bank_card_replacement"]
    assert any(a["owner"] == "agent" and "dispute" in a["text"] for a in card["action_items"])


def test_redacted_text_only(analyses: dict[str, Any]) -> None:
    _state, booking = analyses["home_services_booking"]
    raw = load_transcript(EXAMPLES / "home_services_booking.json").metadata["customer_phone"]
    assert raw not in str(booking) and "0142" not in booking["summary"]["text"]


@pytest.mark.parametrize(("turns", "reason"), [
    ([], "no transcript"),
    ([("customer", "hello")], "too little was said"),
])
async def test_empty_and_one_word_calls_go_to_review(tmp_path: Path, turns: list[tuple[str, str]], reason: str
                                                    ) -> None:
    _state, analysis = await analyze(batch(tmp_path), transcript(*turns))
    assert analysis["needs_review"]
    assert any(reason in r for r in analysis["review_reasons"])
    assert analysis["summary"]["text"] == "" or analysis["summary"]["sentences"]


async def test_a_three_hour_call_is_analyzed(tmp_path: Path) -> None:
    base = load_transcript(EXAMPLES / "tech_support_error_code.json")
    segments, offset = [], 0.0
    while offset < 3 * 3600:
        segments += [TranscriptSegment(speaker=s.speaker, text=s.text, start=s.start + offset, end=s.end + offset)
                     for s in base.segments]
        offset += base.duration + 1
    _state, analysis = await analyze(batch(tmp_path), Transcript(call_id="long", segments=segments))
    assert len(analysis["summary"]["sentences"]) > 3  # long calls get a few more sentences
    assert len(analysis["action_items"]) <= 8


def test_dispositions_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("- Sale\n- {value: Wrong number, cues: [wrong number, who is this]}\n- Resolved\n")
    assert [d.value for d in load_dispositions(path)] == ["Sale", "Wrong number", "Resolved"]
    path.write_text("- A\n- a\n")
    with pytest.raises(ConfigError, match="listed twice"):
        load_dispositions(path)


async def test_custom_disposition_cues(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("- Resolved\n- {value: Wrong number, cues: [wrong number, who is this]}\n")
    b = batch(tmp_path, dispositions_file=path)
    _state, analysis = await analyze(b, transcript(("agent", "hello thanks for calling"),
                                                   ("customer", "sorry who is this, i think i have the wrong number")))
    assert analysis["disposition"]["value"] == "Wrong number"


async def test_a_disposition_without_evidence_goes_to_review(tmp_path: Path) -> None:
    _state, analysis = await analyze(batch(tmp_path), transcript(
        ("agent", "good morning"), ("customer", "my number is five five five two one two zero one four two")))
    assert analysis["disposition"]["segments"] == [] and analysis["disposition"]["confidence"] <= 0.5
    assert any(r.startswith("disposition:") for r in analysis["review_reasons"])
