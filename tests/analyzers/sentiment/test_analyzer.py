from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from callpilot.analyzers.sentiment import SentimentAnalyzer, SentimentModel
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, Event, RecordedEvent, SegmentReceived
from callpilot.domain.events.sentiment import (
    MAX_TRAJECTORY,
    CallbackRecommended,
    EscalationSuggested,
    SentimentScored,
)
from callpilot.replay.transcript import Transcript, load_transcript

C, A = "customer", "agent"
ANGRY = "you charged me twice and nobody is answering my question"
CALM = "okay so what is the next step for the account then"
HAPPY = "thank you so much that fixed it"


class ScriptedModel(SentimentModel):
    """Scores from a table, so the trigger tests do not depend on the lexicon."""

    name = "scripted"
    neutral_band = 0.1
    TABLE = {"neg": -0.8, "dip": -0.15, "zero": 0.0, "pos": 0.8}

    def score(self, text: str) -> float:
        return self.TABLE[text.split()[0]]


class Harness:
    """Feeds events through the analyzer as the pipeline does, folding everything into one CallState."""

    def __init__(self, **options: Any) -> None:
        self.analyzer = SentimentAnalyzer(**options)
        self.call = CallState(call_id="c1")
        self.seq = 0
        self.produced: list[Event] = []

    def _record(self, event: Event) -> None:
        self.seq += 1
        self.call.apply(RecordedEvent(position=self.seq, call_id="c1", seq=self.seq, event=event,
                                      recorded_at=datetime.now(UTC)))

    async def send(self, event: Event) -> list[Event]:
        out = await self.analyzer.analyze(self.call, event)
        for produced in (event, *out):
            self._record(produced)
        self.produced.extend(out)
        return out

    async def say(self, speaker: str, text: str) -> list[Event]:
        n = self.seq
        return await self.send(SegmentReceived(segment_id=f"s{n}", speaker=speaker, text=text, start=n, end=n + 1))

    def of(self, cls: type[Event]) -> list[Any]:
        return [e for e in self.produced if isinstance(e, cls)]

    @property
    def state(self) -> dict[str, Any]:
        return self.call.analyzers["sentiment"]


def scripted(**options: Any) -> Harness:
    return Harness(model=ScriptedModel(), alpha=1.0, min_words=0, **options)


@pytest.mark.parametrize("script, escalations", [
    pytest.param([(C, "neg")] * 3, 1, id="three negative segments escalate once"),
    pytest.param([(C, "neg")] * 8, 1, id="no spam within one episode"),
    pytest.param([(C, "neg")] * 2, 0, id="two are not enough"),
    pytest.param([(C, "neg"), (C, "neg"), (C, "zero"), (C, "neg")], 0, id="a neutral segment breaks the run"),
    pytest.param([(C, "neg")] * 3 + [(C, "pos")] + [(C, "neg")] * 3, 2, id="recovery opens a new episode"),
    pytest.param([(C, "neg")] * 3 + [(C, "dip")] + [(C, "neg")] * 3, 1,
                 id="no recovery above the threshold but below recovery_threshold"),
    pytest.param([(C, "neg"), (A, "neg"), (C, "neg"), (A, "neg"), (C, "neg")], 1,
                 id="agent segments in between do not break the customer's run"),
    pytest.param([(A, "neg")] * 6, 0, id="agent negativity does not count"),
])
async def test_escalation_trigger(script: list[tuple[str, str]], escalations: int) -> None:
    h = scripted(threshold=-0.25, window=3, recovery_threshold=0.0)
    for speaker, text in script:
        await h.say(speaker, text)
    assert len(h.of(EscalationSuggested)) == escalations


async def test_escalation_carries_evidence_of_the_run() -> None:
    h = Harness(window=2)
    await h.say(C, ANGRY)
    (_, escalation) = await h.say(C, "this is the third time i have called and it is still not working")
    assert isinstance(escalation, EscalationSuggested)
    assert escalation.run_length == 2 and escalation.segment_ids == ["s0", "s2"]
    assert escalation.customer_score < -0.25 and escalation.suggested_action
    for ev in escalation.evidence:
        segment = next(s for s in h.call.segments if s.segment_id == ev.segment_id)
        assert segment.text[ev.start:ev.end] == ev.excerpt and ev.excerpt


async def test_partials_and_unlisted_speakers_are_ignored() -> None:
    h = Harness(speakers=["customer"])
    partial = SegmentReceived(segment_id="p", speaker=C, text=ANGRY, start=0, end=1, final=False)
    assert await h.send(partial) == []
    assert await h.say(A, ANGRY) == []
    assert len(await h.say(C, ANGRY)) == 1


@pytest.mark.parametrize("last, expected", [
    pytest.param(ANGRY, True, id="ending negative"),
    pytest.param(HAPPY, False, id="ending positive"),
])
async def test_callback_at_call_end(last: str, expected: bool) -> None:
    h = Harness()
    await h.say(C, CALM)
    await h.say(C, last)
    out = await h.send(CallEnded(status="completed"))
    assert bool(out) is expected
    if expected:
        (callback,) = out
        assert isinstance(callback, CallbackRecommended) and callback.final_score < -0.2
        assert h.state["callback"]["final_score"] == callback.final_score


async def test_no_callback_without_customer_speech() -> None:
    h = Harness()
    await h.say(A, ANGRY)
    assert await h.send(CallEnded()) == []


async def test_agent_angry_customer_calm_no_callback() -> None:
    h = Harness()
    for _ in range(4):
        await h.say(A, ANGRY)
        await h.say(C, CALM)
    assert h.of(EscalationSuggested) == [] and await h.send(CallEnded()) == []


async def test_backchannels_do_not_dilute_the_customer() -> None:
    h = Harness(alpha=0.5)
    await h.say(C, ANGRY)
    before = h.state["smoothed"][C]
    (scored,) = await h.say(C, "okay")
    assert isinstance(scored, SentimentScored) and not scored.counted
    assert h.state["smoothed"][C] == before


async def test_state_folds_compactly() -> None:
    h = Harness()
    texts = [ANGRY, CALM, HAPPY]
    for i in range(3 * MAX_TRAJECTORY):
        await h.say(C if i % 2 else A, texts[i % 3])
    state = h.state
    assert state["scored"] == 3 * MAX_TRAJECTORY
    assert MAX_TRAJECTORY // 2 <= len(state["trajectory"]) <= MAX_TRAJECTORY and state["stride"] >= 2
    assert len(state["run_evidence"]) <= 20
    seqs = [p["seq"] for p in state["trajectory"]]
    assert seqs == sorted(seqs) and seqs[-1] > 4 * MAX_TRAJECTORY  # covers the whole call, latest included
    assert set(state["smoothed"]) == {A, C} and -1 <= state["call_score"] <= 1


async def test_smoothing_follows_alpha() -> None:
    h = Harness(model=ScriptedModel(), alpha=0.5, min_words=0)
    await h.say(C, "neg")
    await h.say(C, "pos")
    assert h.state["smoothed"][C] == pytest.approx(0.0)
    await h.say(C, "pos")
    assert h.state["smoothed"][C] == pytest.approx(0.4)


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "это ужасно", "这很好", "[CARD_NUMBER]", "x" * 20000])
async def test_odd_segments_do_not_crash(text: str) -> None:
    h = Harness()
    (scored,) = await h.say(C, text)
    assert isinstance(scored, SentimentScored) and -1 <= scored.score <= 1


@pytest.mark.parametrize("options, names", [
    ({"threshold": -2}, "threshold"),
    ({"threshold": -0.2, "recovery_threshold": -0.5}, "recovery_threshold"),
    ({"window": 0}, "window"),
    ({"alpha": 0}, "alpha"),
    ({"speakers": ["caller"]}, "speakers"),
    ({"model": "bert"}, "unknown model 'bert'"),
    ({"model": "vader", "extra_lexicon": "x.yaml"}, "takes no lexicon"),
    ({"callback_threshold": "low"}, "callback_threshold"),
])
def test_bad_options_fail_at_construction(options: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        SentimentAnalyzer(**options)


@pytest.fixture
def billing_dispute() -> Transcript:
    path = Path(__file__).resolve().parents[3] / "examples" / "calls" / "billing_dispute_escalation.json"
    if not path.exists():
        pytest.skip("examples/calls not present")
    return load_transcript(path)


async def test_sample_escalation_call_escalates_and_recommends_a_callback(billing_dispute: Transcript) -> None:
    """The billing-dispute sample: the angry customer is escalated once and gets a callback at the end."""
    h = Harness()
    for seg in billing_dispute.segments:
        await h.say(seg.speaker, seg.text)
    await h.send(CallEnded())
    assert len(h.of(EscalationSuggested)) == 1 and len(h.of(CallbackRecommended)) == 1
