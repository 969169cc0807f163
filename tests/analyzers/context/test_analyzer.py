from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callpilot.analyzers.context import ContextAnalyzer
from callpilot.analyzers.context.analyzer import content_words, model_text
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import RecordedEvent, SegmentReceived
from callpilot.domain.events.context import MAX_ENTITIES, ContextAnalyzed, DetectedEntity
from callpilot.embeddings import MiniLMEncoder, TextEncoder, Vectors

A, C = "agent", "customer"


class CountingEncoder(TextEncoder):
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner: MiniLMEncoder) -> None:
        self.inner, self.dim, self.texts = inner, inner.dim, []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self.inner.encode(texts)


class Harness:
    def __init__(self, analyzer: ContextAnalyzer) -> None:
        self.analyzer, self.call, self.seq = analyzer, CallState(call_id="c1"), 0

    def _apply(self, event: object) -> None:
        self.seq += 1
        self.call.apply(RecordedEvent(position=self.seq, call_id="c1", seq=self.seq, event=event,  # type: ignore[arg-type]
                                      recorded_at=datetime.now(UTC)))

    async def say(self, speaker: str, text: str, *, final: bool = True) -> list[ContextAnalyzed]:
        segment = SegmentReceived(segment_id=f"s{self.seq + 1}", speaker=speaker, text=text,  # type: ignore[arg-type]
                                  start=float(self.seq), end=self.seq + 0.5, final=final)
        produced = await self.analyzer.analyze(self.call, segment)
        self._apply(segment)
        for event in produced:
            assert isinstance(event, ContextAnalyzed)
            self._apply(event)
        return produced  # type: ignore[return-value]

    @property
    def state(self) -> dict:
        return self.call.analyzers.get("context", {})


@pytest.fixture
def counting(encoder: MiniLMEncoder) -> CountingEncoder:
    return CountingEncoder(encoder)


@pytest.fixture
def harness(counting: CountingEncoder) -> Harness:
    analyzer = ContextAnalyzer(encoder=counting, products=["Skyline Wallet"])
    counting.texts.clear()  # the taxonomy's descriptions and examples
    return Harness(analyzer)


async def test_a_call_builds_up_context(harness: Harness) -> None:
    assert await harness.say(A, "thank you for calling, how can I help you today") == []
    (first,) = await harness.say(C, "hi um I think I lost my debit card, I can't find it anywhere")
    assert first.detected_issue == "lost_or_stolen_card" and first.confidence >= 0.5
    assert first.has_sufficient_context and not first.needs_clarification
    assert [(e.type, e.value) for e in first.detected_entities] == [("account_type", "debit card")]
    assert first.search_query is not None and first.search_query.startswith("lost or stolen card")
    assert await harness.say(C, "yes") == []
    (second,) = await harness.say(A, "I see your checking account and the debit card")
    assert [(e.type, e.value) for e in second.detected_entities] == [("account_type", "checking account")]
    assert second.detected_issue == "lost_or_stolen_card"
    state = harness.state
    assert [e["value"] for e in state["detected_entities"]] == ["debit card", "checking account"]
    assert state["detected_issue"] == "lost_or_stolen_card" and state["has_sufficient_context"] is True
    assert state["updated_seq"] == harness.seq


async def test_partials_and_agent_speech_are_not_embedded(harness: Harness, counting: CountingEncoder) -> None:
    assert await harness.say(C, "my card was declined at the store", final=False) == []
    await harness.say(A, "I understand your card was declined at the store, let me look")
    await harness.say(C, "okay yeah sure")  # too few content words
    assert counting.texts == []


async def test_settled_issue_stops_embedding_until_the_topic_shifts(harness: Harness,
                                                                    counting: CountingEncoder) -> None:
    (event,) = await harness.say(C, "my internet has been down since last night, no connection at all")
    assert event.detected_issue == "service_outage" and event.confidence >= 0.85
    await harness.say(C, "the router lights are blinking orange in the living room")
    assert len(counting.texts) == 1
    (shift,) = await harness.say(C, "also I want to cancel my premium subscription")
    assert len(counting.texts) == 2
    assert shift.detected_issue == "cancel_subscription"


async def test_unclear_issue_asks_for_clarification_once(harness: Harness) -> None:
    (event,) = await harness.say(C, "i have a question regarding something from before")
    assert event.detected_issue is None and not event.has_sufficient_context
    assert event.needs_clarification and event.clarifying_reason is not None
    assert await harness.say(C, "it is regarding that question from earlier") == []  # nothing changed


async def test_missing_entity_is_asked_for_then_cleared(harness: Harness) -> None:
    (event,) = await harness.say(C, "where is my package, it was supposed to arrive on monday")
    assert event.detected_issue == "order_status" and event.has_sufficient_context
    assert event.needs_clarification and event.clarifying_reason == "ask for the order number"
    (update,) = await harness.say(C, "the order number is one two three four five")
    assert [(e.type, e.value) for e in update.detected_entities] == [("order_number", "12345")]
    assert not update.needs_clarification and update.clarifying_reason is None


async def test_search_query_is_redacted_and_carries_searchable_entities(harness: Harness) -> None:
    (event,) = await harness.say(
        C, "hi this is [PERSON], the Skyline Wallet app keeps crashing with error E1042 since the update, "
           "it's about order 55512")
    assert event.detected_issue == "technical_error"
    query = (event.search_query or "").lower()
    assert query.startswith("technical error") and "e1042" in query and "skyline wallet" in query
    assert "[" not in query and "person" not in query and "55512" not in query


async def test_entities_are_deduplicated_and_bounded(harness: Harness) -> None:
    await harness.say(A, "order 1001 and order 1002")
    assert await harness.say(A, "order 1001 again") == []
    for start in range(0, MAX_ENTITIES + 10, 5):
        await harness.say(A, " and ".join(f"ticket {n + 2000}" for n in range(start, start + 5)))
    entities = harness.state["detected_entities"]
    assert len(entities) == MAX_ENTITIES
    assert entities[-1]["value"] == str(2000 + MAX_ENTITIES + 9)  # the most recent are kept
    assert len({(e["type"], e["value"]) for e in entities}) == MAX_ENTITIES


def test_applier_folds_entities_with_their_segment() -> None:
    call = CallState(call_id="c1")
    event = ContextAnalyzed(segment_id="s1", detected_issue=None, confidence=0.0, has_sufficient_context=False,
                            needs_clarification=False,
                            detected_entities=[DetectedEntity(type="amount", value="$20", segment_id="s1", start=3,
                                                              end=14)])
    call.apply(RecordedEvent(position=1, call_id="c1", seq=1, event=event, recorded_at=datetime.now(UTC)))
    assert call.analyzers["context"]["detected_entities"] == [
        {"type": "amount", "value": "$20", "segment_id": "s1", "start": 3, "end": 14}]


@pytest.mark.parametrize("text, words", [
    ("um yeah so uh basically it just doesn't work", ["basically", "work"]),
    ("my card [CARD_NUMBER] was declined", ["card", "declined"]),
])
def test_content_words(text: str, words: list[str]) -> None:
    assert content_words(text) == words


def test_model_text_drops_placeholders_and_fillers() -> None:
    assert model_text("um my card [CARD_NUMBER] uh was declined") == "my card was declined"


@pytest.mark.parametrize("options, message", [
    ({"taxonomy": "/nonexistent/taxonomy.yaml"}, "cannot read taxonomy file"),
    ({"model_path": "/nonexistent/model"}, "not an all-MiniLM model directory"),
    ({"min_words": 0}, "min_words"),
    ({"min_confidence": 2}, "min_confidence"),
    ({"products": [""]}, "products"),
])
def test_bad_options_fail_at_construction(encoder: MiniLMEncoder, options: dict, message: str) -> None:
    if "model_path" not in options:
        options = {**options, "encoder": encoder}
    with pytest.raises(ConfigError, match=message):
        ContextAnalyzer(**options)


def test_custom_taxonomy(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("- name: plumbing\n  description: a leak, a burst pipe or a broken water heater\n"
                    "- name: electrical\n  description: power is out or sockets and lights do not work\n")
    analyzer = ContextAnalyzer(taxonomy=path, encoder=encoder)
    assert analyzer.classifier.classify(["my water heater is leaking all over the floor"])[0].intent == "plumbing"


async def test_a_backlog_embeds_only_its_newest_customer_segment(counting: CountingEncoder) -> None:
    """On the background path the state already holds later segments: an older one is not embedded."""
    from callpilot.analyzers.context import ContextAnalyzer
    from callpilot.domain.call import CallState

    analyzer = ContextAnalyzer(encoder=counting)
    call = CallState(call_id="c1")
    segments = [SegmentReceived(segment_id=f"s{i}", speaker="customer", text=text, start=i, end=i + 1)
                for i, text in enumerate(["my internet has been down since last night, no connection at all",
                                          "also I want to cancel my premium subscription please"])]
    for seq, segment in enumerate(segments, start=1):
        call.apply(RecordedEvent(position=seq, call_id="c1", seq=seq, event=segment, recorded_at=datetime.now(UTC)))
    before = len(counting.texts)
    await analyzer.analyze(call, segments[0])  # superseded by s1, which waits for its own job
    assert len(counting.texts) == before
    await analyzer.analyze(call, segments[1])
    assert len(counting.texts) == before + 1
