from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callpilot.domain.call import CallState
from callpilot.domain.events import EVENT_TYPES, Event, RecordedEvent, decode_event
from callpilot.domain.events.sentiment import (
    CallbackRecommended,
    EscalationSuggested,
    SentimentEvidence,
    SentimentScored,
)

EVIDENCE = SentimentEvidence(segment_id="s1", excerpt="charged me twice", start=4, end=20, score=-0.6)
SCORED = SentimentScored(segment_id="s1", speaker="customer", score=-0.6, label="negative", at=3.0,
                         smoothed={"customer": -0.6}, call_score=-0.6, negative_run=1, episode_open=True,
                         evidence=EVIDENCE, cues=["charged * twice"])
ESCALATION = EscalationSuggested(reason="r", segment_ids=["s1"], evidence=[EVIDENCE], customer_score=-0.6,
                                 run_length=3, threshold=-0.25, suggested_action="listen in")
CALLBACK = CallbackRecommended(reason="r", final_score=-0.5, threshold=-0.2, escalated=True)


@pytest.mark.parametrize("event", [SCORED, ESCALATION, CALLBACK])
def test_events_are_registered_and_round_trip(event: Event) -> None:
    assert EVENT_TYPES[event.type_name()] is type(event)
    assert decode_event(event.type_name(), 1, event.model_dump(mode="json")) == event


def _fold(*events: Event) -> dict:
    call = CallState(call_id="c1")
    for seq, event in enumerate(events, start=1):
        call.apply(RecordedEvent(position=seq, call_id="c1", seq=seq, event=event, recorded_at=datetime.now(UTC)))
    return call.analyzers["sentiment"]


def test_appliers_fold_the_state() -> None:
    state = _fold(SCORED, ESCALATION, CALLBACK)
    assert state["smoothed"] == {"customer": -0.6} and state["negative_run"] == 1
    assert state["run_evidence"] == [EVIDENCE.model_dump()]
    assert state["escalated"] is True and state["escalations"] == 1 and state["last_escalation_seq"] == 2
    assert state["callback"] == {"seq": 3, "final_score": -0.5, "reason": "r"}
    assert state["trajectory"] == [{"seq": 1, "at": 3.0, "speaker": "customer", "score": -0.6, "call": -0.6,
                                    "customer": -0.6}]


def test_closing_the_episode_clears_escalation_and_evidence() -> None:
    recovered = SCORED.model_copy(update={"score": 0.5, "label": "positive", "smoothed": {"customer": 0.1},
                                          "negative_run": 0, "episode_open": False, "evidence": None})
    state = _fold(SCORED, ESCALATION, recovered)
    assert state["escalated"] is False and state["run_evidence"] == [] and state["escalations"] == 1


@pytest.mark.parametrize("bad", [{"score": 1.5}, {"label": "angry"}, {"negative_run": -1}, {"speaker": "bot"}])
def test_scored_event_validates(bad: dict) -> None:
    with pytest.raises(ValueError):
        SentimentScored.model_validate(SCORED.model_dump() | bad)
