"""The supervisor's board rows and today's numbers, folded from hand-made events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from callpilot.dashboard import board_row, today_numbers
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, Event, RecordedEvent, SuggestionFeedbackGiven
from callpilot.domain.events.aftercall import AnalysisApproved
from callpilot.domain.events.rules import ChecklistItem, ChecklistStarted, RequirementMissed, RuleViolated
from callpilot.domain.events.sentiment import EscalationSuggested, SentimentScored
from callpilot.domain.events.signals import SignalDetected

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class Log:
    """Numbers events per call and across the log, as the event log would."""

    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []
        self.seqs: dict[str, int] = {}

    def add(self, call_id: str, event: Event, minutes: float = 0.0) -> RecordedEvent:
        self.seqs[call_id] = self.seqs.get(call_id, 0) + 1
        recorded = RecordedEvent(position=len(self.events) + 1, call_id=call_id, seq=self.seqs[call_id],
                                 event=event, recorded_at=T0 + timedelta(minutes=minutes))
        self.events.append(recorded)
        return recorded

    def state(self, call_id: str) -> CallState:
        state = CallState(call_id=call_id)
        for recorded in self.events:
            if recorded.call_id == call_id:
                state.apply(recorded)
        return state


def scored(score: float, *, episode: bool = False, speaker: str = "customer") -> SentimentScored:
    return SentimentScored(segment_id="s", speaker=speaker, score=score, label="negative" if score < -0.2 else
                           "positive" if score > 0.2 else "neutral", at=1.0, smoothed={speaker: score},
                           call_score=score, negative_run=int(episode), episode_open=episode)


def violation(rule_id: str = "no-guarantee", severity: str = "critical") -> RuleViolated:
    return RuleViolated(ruleset="r", rule_id=rule_id, kind="prohibited", severity=severity,
                        message="Don't guarantee", segment_id="s", speaker="agent", evidence="i guarantee",
                        char_start=0, char_end=11, at=3.0)


def test_a_board_row_carries_who_sentiment_alerts_and_escalation() -> None:
    log = Log()
    log.add("c1", CallStarted(agent_id="a1", agent_name="Dana", queue="booking"))
    log.add("c1", ChecklistStarted(ruleset="r", checklist=[ChecklistItem(
        rule_id="closing", ruleset="r", description="Closing", severity="warning", message="Say goodbye",
        speaker="agent", window="by call end")]))
    log.add("c1", scored(0.1))
    log.add("c1", violation())
    log.add("c1", scored(-0.6, episode=True))
    log.add("c1", EscalationSuggested(reason="negative run", segment_ids=["s"], evidence=[], customer_score=-0.6,
                                      run_length=3, threshold=-0.4, suggested_action="offer a supervisor"))
    log.add("c1", SignalDetected(signal="human_requested", speaker="customer", segment_id="s", score=0.9,
                                 suggested_action="transfer", detail="asked for a person"))
    log.add("c1", RequirementMissed(ruleset="r", rule_id="closing", severity="warning", message="Say goodbye",
                                    reason="call ended"))
    row = board_row(log.state("c1"))
    assert (row.agent_name, row.queue, row.status) == ("Dana", "booking", "live")
    assert row.customer_sentiment == pytest.approx(-0.6)
    assert row.trend == [0.1, -0.6]
    assert row.escalation and row.signals == ["human_requested"]
    assert [a.kind for a in row.alerts] == ["missed", "signal", "escalation", "violation"]  # newest first
    assert row.alerts[-1].severity == "critical" and row.alerts[-1].evidence == "i guarantee"
    assert row.seq == 8


def test_recovery_clears_the_escalation() -> None:
    log = Log()
    log.add("c1", CallStarted(agent_id="a1"))
    log.add("c1", scored(-0.7, episode=True))
    log.add("c1", EscalationSuggested(reason="r", segment_ids=[], evidence=[], customer_score=-0.7, run_length=3,
                                      threshold=-0.4, suggested_action="x"))
    assert board_row(log.state("c1")).escalation
    log.add("c1", scored(0.3, episode=False))
    row = board_row(log.state("c1"))
    assert not row.escalation and all(a.kind != "escalation" for a in row.alerts)


def feedback(kind: str) -> SuggestionFeedbackGiven:
    return SuggestionFeedbackGiven(suggestion_id="s1", feedback=kind)  # type: ignore[arg-type]


def day() -> Log:
    log = Log()
    log.add("old", CallStarted(agent_id="a"), minutes=-60 * 24)  # yesterday: not counted
    log.add("old", violation(), minutes=-60 * 24)
    log.add("c1", CallStarted(agent_id="a"), minutes=5)
    log.add("c1", scored(-0.5), minutes=6)
    log.add("c1", violation(), minutes=7)
    log.add("c1", CallEnded(), minutes=15)
    log.add("c2", CallStarted(agent_id="b"), minutes=65)
    log.add("c2", scored(0.5), minutes=66)
    log.add("c2", RequirementMissed(ruleset="r", rule_id="closing", severity="warning", message="m", reason="end"),
            minutes=70)
    log.add("c2", CallEnded(), minutes=70)
    log.add("c3", CallStarted(agent_id="b"), minutes=125)
    for kind in ("helpful", "helpful", "not_helpful", "irrelevant", "clicked"):
        log.add("c1", feedback(kind), minutes=8)
    return log


@pytest.mark.parametrize(("key", "expected"), [
    ("calls", 3),
    ("live", 1),
    ("ended", 2),
    ("avg_handle_seconds", 450.0),  # 10 min and 5 min
    ("compliance_misses", 2),
    ("misses_by_rule", {"no-guarantee": 1, "closing": 1}),
    ("feedback", {"helpful": 2, "not_helpful": 1, "irrelevant": 1, "clicked": 1}),
    ("helpfulness", 0.5),
    ("sentiment", {"negative": 1, "neutral": 0, "positive": 1}),
])
def test_today_numbers(key: str, expected: Any) -> None:
    numbers = today_numbers(day().events, since=T0, manual_wrap_up_seconds=300)
    assert getattr(numbers, key) == expected


def test_todays_sentiment_is_the_smoothed_score_the_board_shows_not_the_last_turn() -> None:
    log = Log()
    log.add("c1", CallStarted(agent_id="a"), minutes=1)
    log.add("c1", scored(-0.6), minutes=2)
    turn = scored(0.5)  # one happy turn; smoothing has only moved the customer to -0.1
    log.add("c1", turn.model_copy(update={"smoothed": {"customer": -0.1}}), minutes=3)
    log.add("c1", scored(0.9, speaker="agent").model_copy(update={"smoothed": {"customer": -0.1, "agent": 0.9}}),
            minutes=4)
    numbers = today_numbers(log.events, since=T0, manual_wrap_up_seconds=300)
    assert numbers.sentiment == {"negative": 0, "neutral": 1, "positive": 0}
    assert board_row(log.state("c1")).customer_sentiment == pytest.approx(-0.1)


def test_calls_by_hour_and_time_saved_count_only_todays_wrap_ups() -> None:
    log = day()
    numbers = today_numbers(log.events, since=T0, manual_wrap_up_seconds=300)
    assert numbers.calls_by_hour[:3] == [1, 1, 1] and sum(numbers.calls_by_hour) == 3
    assert numbers.analyzed == 0 and numbers.after_call_seconds_saved == 0
    assert numbers.helpfulness is not None


def test_an_empty_day_has_no_averages() -> None:
    numbers = today_numbers([], since=T0, manual_wrap_up_seconds=300)
    assert numbers.calls == 0 and numbers.avg_handle_seconds is None and numbers.helpfulness is None


def test_approval_is_counted_per_call() -> None:
    log = Log()
    log.add("c1", CallStarted(agent_id="a"))
    log.add("c1", AnalysisApproved(revision=1, approved_by="auto", auto=True))
    numbers = today_numbers(log.events, since=T0, manual_wrap_up_seconds=300)
    # an approval without a CallAnalyzed (an older log) is not a wrap-up written today
    assert numbers.analyzed == 0 and numbers.auto_approved == 0
