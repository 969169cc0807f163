"""The rules events fold into ``call.analyzers["rules"]``; generic engine behaviour on a small custom ruleset."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from callpilot.analyzers.rules import RulesAnalyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import EVENT_TYPES, Event, RecordedEvent, decode_event
from callpilot.domain.events.rules import (
    MAX_VIOLATIONS_KEPT,
    ChecklistItem,
    ChecklistStarted,
    RequirementMet,
    RequirementMissed,
    RuleViolated,
    RuleWindowsAdvanced,
)
from tests.analyzers.rules.scripted import ScriptedCall

A, C = "agent", "customer"
ITEM = ChecklistItem(rule_id="disclosure", ruleset="t", description="say it", severity="critical", message="m",
                     speaker="agent", window="by call end")


def _violation(n: int) -> RuleViolated:
    return RuleViolated(ruleset="t", rule_id="r1" if n % 2 else "r2", kind="prohibited", severity="warning",
                        message="m", segment_id=f"s{n}", speaker="agent", evidence="promise", char_start=2,
                        char_end=9, at=float(n))


def _fold(events: list[Event]) -> CallState:
    call = CallState(call_id="c1")
    for seq, event in enumerate(events, start=1):
        call.apply(RecordedEvent(position=seq, call_id="c1", seq=seq, event=event, recorded_at=datetime.now(UTC)))
    return call


def test_checklist_starts_pending_and_folds_met_and_missed() -> None:
    other = ITEM.model_copy(update={"rule_id": "closing"})
    call = _fold([
        ChecklistStarted(ruleset="t", checklist=[ITEM, other]),
        RequirementMet(ruleset="t", rule_id="disclosure", segment_id="s1", speaker="agent",
                       evidence="this call is recorded", char_start=0, char_end=21, at=1.5),
        RuleWindowsAdvanced(agent_seconds=12.5, agent_segments=2),
        RequirementMissed(ruleset="t", rule_id="closing", severity="critical", message="m", reason="call ended"),
    ])
    state = call.analyzers["rules"]
    assert state["ruleset"] == "t"
    assert state["checklist"]["disclosure"] | {} == ITEM.model_dump() | {
        "status": "met", "segment_id": "s1", "evidence": "this call is recorded", "at": 1.5, "reason": None, "seq": 2}
    assert state["checklist"]["closing"]["status"] == "missed"
    assert state["checklist"]["closing"]["reason"] == "call ended"
    assert (state["agent_seconds"], state["agent_segments"]) == (12.5, 2)


def test_violations_are_bounded_and_counted() -> None:
    call = _fold([ChecklistStarted(ruleset="t", checklist=[])] + [_violation(n) for n in range(120)])
    state = call.analyzers["rules"]
    assert len(state["violations"]) == MAX_VIOLATIONS_KEPT
    assert state["violations"][-1]["segment_id"] == "s119"
    assert state["violations"][0]["segment_id"] == f"s{120 - MAX_VIOLATIONS_KEPT}"
    assert state["violation_counts"] == {"r1": 60, "r2": 60}
    assert state["violations_total"] == 120


def test_events_without_a_checklist_still_fold() -> None:
    call = _fold([_violation(1)])
    assert call.analyzers["rules"]["violations_total"] == 1


@pytest.mark.parametrize("event", [
    ChecklistStarted(ruleset="t", checklist=[ITEM]),
    _violation(3),
    RequirementMet(ruleset="t", rule_id="x", segment_id="s1", speaker="customer", evidence="e", char_start=0,
                   char_end=1, at=0.0),
    RequirementMissed(ruleset="t", rule_id="x", severity="info", message="m", reason="r", at=3.0),
    RuleWindowsAdvanced(agent_seconds=1.0, agent_segments=1),
], ids=lambda e: type(e).__name__)
def test_events_are_registered_and_round_trip(event: Event) -> None:
    assert EVENT_TYPES[event.type_name()] is type(event)
    assert decode_event(event.type_name(), 1, event.model_dump(mode="json")) == event


CUSTOM = {
    "name": "custom",
    "rules": [
        {"id": "retention-offer", "kind": "required", "description": "offer", "severity": "warning", "message": "m",
         "campaigns": ["winback"], "phrases": ["special offer"]},
        {"id": "consent", "kind": "required", "description": "customer consents", "severity": "critical",
         "message": "get consent", "speaker": "customer", "within": {"call_seconds": 20},
         "phrases": ["yes i agree"]},
        {"id": "no-swearing", "kind": "prohibited", "description": "d", "severity": "info", "message": "m",
         "speaker": "any", "phrases": ["darn it"]},
    ],
}


@pytest.fixture
def custom(tmp_path: Path) -> RulesAnalyzer:
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(CUSTOM))
    return RulesAnalyzer(ruleset=str(path))


@pytest.mark.parametrize("campaign, expected", [
    pytest.param("winback", ["retention-offer", "consent"], id="campaign in scope"),
    pytest.param("WinBack", ["retention-offer", "consent"], id="campaign case-insensitive"),
    pytest.param("sales", ["consent"], id="other campaign"),
    pytest.param(None, ["consent"], id="no campaign"),
])
async def test_campaign_scope(custom: RulesAnalyzer, campaign: str | None, expected: list[str]) -> None:
    call = ScriptedCall(custom, campaign=campaign)
    await call.say(A, "hello")
    assert list(call.state["checklist"]) == expected


async def test_customer_requirement_with_call_time_window(custom: RulesAnalyzer) -> None:
    call = ScriptedCall(custom)
    await call.say(A, "do you agree to the terms", seconds=5)
    assert await call.say(A, "yes i agree", seconds=5) == []  # the agent saying it does not count
    met = await call.say(C, "yes i agree", seconds=5)
    assert [(type(e).__name__, e.rule_id) for e in met] == [("RequirementMet", "consent")]  # type: ignore[attr-defined]
    late = ScriptedCall(custom)
    missed = await late.say(A, "a long introduction", seconds=25)
    assert [e.rule_id for e in missed if isinstance(e, RequirementMissed)] == ["consent"]


async def test_any_speaker_rule(custom: RulesAnalyzer) -> None:
    call = ScriptedCall(custom)
    await call.say(A, "oh darn it")
    await call.say(C, "darn it all")
    assert [v["speaker"] for v in call.state["violations"]] == ["agent", "customer"]


async def test_call_ended_without_segments_still_reports(custom: RulesAnalyzer) -> None:
    call = ScriptedCall(custom)
    ended = await call.end()
    assert [type(e).__name__ for e in ended] == ["ChecklistStarted", "RequirementMissed"]
    assert call.status("consent") == "missed"


async def test_state_stays_small_on_a_long_call(custom: RulesAnalyzer) -> None:
    call = ScriptedCall(custom)
    for _ in range(300):
        await call.say(A, "darn it this is a long call")
    assert len(call.state["violations"]) == MAX_VIOLATIONS_KEPT
    assert call.state["violations_total"] == 300
