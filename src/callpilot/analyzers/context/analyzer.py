"""The context analyzer: what the customer's issue is, which entities have come up, and whether there is
enough to search the knowledge base.

Entities are read from every final segment (rules, microseconds). The issue comes from the customer's segments,
and embedding one costs several milliseconds, so the analyzer embeds only when it can change the answer: a
customer segment with at least ``min_words`` content words, while the issue is not yet settled (confidence
below ``settle_confidence``) or when the customer signals a new topic ("also", "another thing"). The state
between segments is the last ``ContextAnalyzed`` event folded into ``call.analyzers["context"]``; an event is
emitted only when something changed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.context.classifier import IntentClassifier, IntentPrediction
from callpilot.analyzers.context.entities import Entity, EntityExtractor
from callpilot.analyzers.context.taxonomy import OTHER, load_taxonomy
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived
from callpilot.domain.events.context import ContextAnalyzed, DetectedEntity, IntentAlternative
from callpilot.embeddings.base import TextEncoder
from callpilot.embeddings.minilm import load_minilm

__all__ = ["ContextAnalyzer", "content_words", "model_text"]

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_FILLERS = re.compile(r"\b(?:um+|uh+|erm|hmm+|mm+|ah+|er)\b[,.]?\s*", re.IGNORECASE)
_STOP_WORDS = (
    "a an the and or but so if then than that this these those it its it's i i'm i've i'd me my mine we we're our us "
    "you you're your yours he she they them their his her is am are was were be been being do does did doing have "
    "has had having will would can could should shall may might must to of in on at by for with about from up down "
    "out over into just also too very really yeah yes yep no nope ok okay oh well like um uh hmm hi hello hey thanks "
    "thank please sorry right sure what which who whom when where why how there here all any some not don't can't "
    "didn't doesn't isn't wasn't won't gonna wanna kind sort thing things get got go going know mean see say said "
    "one as because been let let's")
_STOP = frozenset(_STOP_WORDS.split())
_SHIFT = re.compile(r"\b(?:also|another|one more thing|(?:second|different|separate|other) (?:issue|question|thing|"
                    r"problem)|while i have you|something else)\b", re.IGNORECASE)
_SUPERSEDE_LOOKBACK = 20
_QUERY_ENTITY_TYPES = ("error_code", "product", "version", "account_type")
_MAX_QUERY = 300


def content_words(text: str) -> list[str]:
    """The words that carry meaning: no PII placeholders, fillers or stop words."""
    return [w for w in _WORD.findall(_PLACEHOLDER.sub(" ", text).lower()) if w not in _STOP]


def model_text(text: str) -> str:
    """What the encoder sees: the segment without placeholders and fillers (fewer tokens, same meaning)."""
    return " ".join(_FILLERS.sub("", _PLACEHOLDER.sub(" ", text)).split())


class ContextAnalyzer(Analyzer):
    """Detected issue (an intent of the taxonomy), entities, sufficiency for search, clarification needs."""

    name: ClassVar[str] = "context"
    MIN_WORDS: ClassVar[int] = 3
    MIN_CONFIDENCE: ClassVar[float] = 0.5
    SETTLE_CONFIDENCE: ClassVar[float] = 0.85
    SWITCH_MARGIN: ClassVar[float] = 0.1
    REPORT_STEP: ClassVar[float] = 0.1
    MAX_TOKENS: ClassVar[int] = 64

    def __init__(self, *, taxonomy: str | Path | None = None, model_path: str | Path | None = None,
                 products: Sequence[str] | Mapping[str, Sequence[str]] = (), min_words: int | None = None,
                 min_confidence: float | None = None, settle_confidence: float | None = None,
                 switch_margin: float | None = None, threshold_zero_shot: float | None = None,
                 threshold_examples: float | None = None, temperature: float | None = None,
                 top_k: int | None = None, max_tokens: int | None = None,
                 encoder: TextEncoder | None = None) -> None:
        self.min_words = int(_bounded("min_words", min_words, self.MIN_WORDS, 1, 100))
        self.min_confidence = _bounded("min_confidence", min_confidence, self.MIN_CONFIDENCE, 0.0, 1.0)
        self.settle_confidence = _bounded("settle_confidence", settle_confidence, self.SETTLE_CONFIDENCE, 0.0, 1.0)
        self.switch_margin = _bounded("switch_margin", switch_margin, self.SWITCH_MARGIN, 0.0, 1.0)
        self.taxonomy = load_taxonomy(taxonomy)
        self.extractor = EntityExtractor(products=products)
        # No text cache on this path: utterances worth embedding rarely repeat, and a cache would only flatter
        # benchmarks that replay the same calls.
        # ``max_tokens`` bounds the cost of a long monologue (the cost grows with the length); an issue is
        # usually stated in a segment's first words.
        tokens = int(_bounded("max_tokens", max_tokens, self.MAX_TOKENS, 8, 512))
        self.encoder = encoder if encoder is not None else load_minilm(model_path, max_tokens=tokens)
        self.classifier = IntentClassifier(self.taxonomy, self.encoder, threshold_zero_shot=threshold_zero_shot,
                                           threshold_examples=threshold_examples, temperature=temperature,
                                           top_k=top_k)

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, SegmentReceived) or not event.final:
            return []
        prev: dict[str, Any] = call.analyzers.get(self.name) or {}
        known = {(e["type"], e["value"]) for e in prev.get("detected_entities", [])}
        entities = self.extractor.extract(event.text)
        new_entities = _new_entities(entities, event.segment_id, known)

        issue, confidence = prev.get("detected_issue"), float(prev.get("confidence", 0.0))
        alternatives = [IntentAlternative.model_validate(a) for a in prev.get("alternatives", [])]
        prediction = None if _superseded(call, event) else await self._classify(event, issue, confidence)
        issue_from_now = False
        if prediction is not None:
            alternatives = [IntentAlternative(intent=n, confidence=p) for n, p in prediction.alternatives]
            if self._accepts(prediction, issue, confidence):
                issue_from_now = prediction.intent != issue or prediction.confidence > confidence
                issue, confidence = prediction.intent, max(prediction.confidence,
                                                           confidence if prediction.intent == issue else 0.0)
        sufficient = issue is not None and confidence >= self.min_confidence
        known_types = {t for t, _ in known} | {e.type for e in new_entities}
        needs, reason = self._clarification(prev, issue, prediction, known_types)
        query = self._search_query(prev, event, entities, issue, issue_from_now, new_entities)

        changed = (bool(new_entities) or issue != prev.get("detected_issue")
                   or confidence >= float(prev.get("confidence", 0.0)) + self.REPORT_STEP
                   or sufficient != prev.get("has_sufficient_context", False)
                   or needs != prev.get("needs_clarification", False) or reason != prev.get("clarifying_reason"))
        if not changed:
            return []
        return [ContextAnalyzed(
            segment_id=event.segment_id, detected_issue=issue, confidence=round(confidence, 4),
            alternatives=alternatives, detected_entities=new_entities, has_sufficient_context=sufficient,
            needs_clarification=needs, clarifying_reason=reason, search_query=query,
        )]

    async def _classify(self, event: SegmentReceived, issue: str | None, confidence: float) -> IntentPrediction | None:
        """Embed only customer segments with enough content that could still change the issue."""
        if event.speaker != "customer" or len(content_words(event.text)) < self.min_words:
            return None
        settled = issue is not None and confidence >= self.settle_confidence
        if settled and not _SHIFT.search(event.text):
            return None
        # In a worker thread: numpy releases the GIL, so the event loop keeps serving other calls meanwhile.
        predictions = await asyncio.to_thread(self.classifier.classify, [model_text(event.text)])
        return predictions[0]

    def _accepts(self, prediction: IntentPrediction, issue: str | None, confidence: float) -> bool:
        """A confident intent replaces the issue unless the current one is clearly more certain."""
        if prediction.intent == OTHER or prediction.confidence < self.min_confidence:
            return False
        return prediction.intent == issue or prediction.confidence >= confidence - self.switch_margin

    def _clarification(self, prev: dict[str, Any], issue: str | None, prediction: IntentPrediction | None,
                       known_types: set[str]) -> tuple[bool, str | None]:
        if issue is None:
            if prediction is None:  # nothing new said: keep what was concluded
                return bool(prev.get("needs_clarification", False)), prev.get("clarifying_reason")
            # A fixed reason, so that a new guess alone emits no event (the alternatives carry the guesses).
            return True, "the issue is not clear yet: ask the customer what the problem is"
        intent = self.taxonomy.get(issue)
        missing = [t for t in (intent.entities if intent else ()) if t not in known_types]
        if missing:
            return True, "ask for the " + " and ".join(t.replace("_", " ") for t in missing)
        return False, None

    def _search_query(self, prev: dict[str, Any], event: SegmentReceived, entities: list[Entity], issue: str | None,
                      issue_from_now: bool, new_entities: list[DetectedEntity]) -> str | None:
        """Issue words, the customer's content words that stated it, and searchable entity values (error
        codes, products, versions, account types: never order numbers, amounts or dates, which identify a
        customer's case rather than describe the problem)."""
        if issue is None:
            return None
        if issue_from_now:
            text = event.text
            for e in entities:
                if e.type not in _QUERY_ENTITY_TYPES:
                    text = text[:e.start] + " " * (e.end - e.start) + text[e.end:]
            words = [issue.replace("_", " "), *content_words(text)[:16]]
        else:
            words = [prev.get("search_query") or issue.replace("_", " ")]
        values = [_query_term(e.type, e.value) for e in new_entities if e.type in _QUERY_ENTITY_TYPES]
        if issue_from_now:
            values += [_query_term(e["type"], e["value"]) for e in prev.get("detected_entities", [])
                       if e["type"] in _QUERY_ENTITY_TYPES]
        query = " ".join(words)
        for value in dict.fromkeys(values):
            if value.lower() not in query.lower():
                query = f"{query} {value}"
        return query[:_MAX_QUERY]


def _query_term(kind: str, value: str) -> str:
    return f"version {value}" if kind == "version" else value  # a bare "14" means nothing to a search


def _new_entities(entities: list[Entity], segment_id: str, known: set[tuple[str, str]]) -> list[DetectedEntity]:
    found: list[DetectedEntity] = []
    seen = set(known)
    for entity in entities:
        if (entity.type, entity.value) not in seen:
            seen.add((entity.type, entity.value))
            found.append(_detected(entity, segment_id))
    return found


def _detected(entity: Entity, segment_id: str) -> DetectedEntity:
    return DetectedEntity(type=entity.type, value=entity.value, segment_id=segment_id, start=entity.start,
                          end=entity.end)


def _bounded(name: str, value: float | None, default: float, low: float, high: float) -> float:
    chosen = default if value is None else value
    if not isinstance(chosen, int | float) or isinstance(chosen, bool) or not low <= chosen <= high:
        raise ConfigError(f"context analyzer option {name} must be a number between {low} and {high}, got {value!r}")
    return float(chosen)


def _superseded(call: CallState, event: SegmentReceived) -> bool:
    """On the background path the state may already hold later segments of the call: when a later customer
    segment is waiting for its own job, embedding this one is wasted work (the newer one decides the issue), so
    a backlog of embeddings collapses to its newest. Inline, ``call`` is the state before ``event``: never."""
    later_customer = False
    for segment in reversed(call.segments[-_SUPERSEDE_LOOKBACK:]):
        if segment.segment_id == event.segment_id:
            return later_customer
        later_customer = later_customer or segment.speaker == "customer"
    return False  # not in the state: the inline path, or too far back to matter
