"""The local engine: offline and deterministic, built from the live analyzers' events and rules.

Intent comes from the context analyzer's conclusion when it ran, else from one classification of the
customer's opening segments; sentiment and compliance from their analyzers' state; the summary, action items,
disposition and fields from the components in this package. A 10-minute call takes about 100 ms on two cores,
most of it the entity rules over every segment and a batch of sentence embeddings for the fields.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from callpilot.aftercall.actions import ActionItemFinder
from callpilot.aftercall.engines.base import AfterCallEngine, EngineResult
from callpilot.aftercall.fields.filler import SlotFiller
from callpilot.aftercall.fields.personal import reseal_normalized
from callpilot.aftercall.fields.schema import PII_TYPES, FieldSchema
from callpilot.aftercall.outcome import DispositionSpec, OutcomeJudge
from callpilot.aftercall.review import ReviewPolicy
from callpilot.aftercall.summary import ExtractiveSummarizer
from callpilot.aftercall.view import CallView
from callpilot.analyzers.context.analyzer import content_words, model_text
from callpilot.analyzers.context.classifier import IntentClassifier
from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.analyzers.context.taxonomy import OTHER, Taxonomy
from callpilot.analyzers.pii.vault import VaultError
from callpilot.domain.analysis import (
    CallAnalysis,
    Compliance,
    ComplianceMiss,
    ComplianceViolation,
    FieldResult,
    IntentResult,
    SentimentSummary,
)
from callpilot.domain.call import CallState
from callpilot.embeddings.base import TextEncoder

__all__ = ["LocalEngine", "compliance_of", "sentiment_of", "topics_of"]

_OPENING_SEGMENTS = 3
_TREND = 0.15


class LocalEngine(AfterCallEngine):
    name = "local"

    def __init__(self, *, schema: FieldSchema, dispositions: tuple[DispositionSpec, ...], taxonomy: Taxonomy,
                 review: ReviewPolicy, encoder_factory: Any = None, products: Any = (),
                 model_path: str | Path | None = None) -> None:
        self.schema, self.taxonomy, self.review = schema, taxonomy, review
        self.extractor = EntityExtractor(products=products)
        self.filler = SlotFiller(schema=schema, encoder=self._encoder)
        self.actions = ActionItemFinder()
        self.judge = OutcomeJudge(dispositions=dispositions)
        self.dispositions = self.judge.dispositions
        self.summarizer = ExtractiveSummarizer()
        self._encoder_factory = encoder_factory
        self._model_path = model_path
        self._classifier: IntentClassifier | None = None
        self._lock = threading.Lock()

    def view(self, call: CallState) -> CallView:
        return CallView.of(call, self.extractor)

    async def analyze(self, call: CallState, *, extra_reasons: list[str] | None = None) -> EngineResult:
        view = await asyncio.to_thread(self.view, call)  # entities of every segment: off the event loop
        intent = await self._intent(view)
        # off the event loop: the rules are quick, but a field question may need a sentence embedding
        analysis = await asyncio.to_thread(self.build, view, intent, extra_reasons=extra_reasons)
        return EngineResult(analysis=analysis)

    def build(self, view: CallView, intent: IntentResult, *, extra_reasons: list[str] | None = None) -> CallAnalysis:
        actions = self.actions.find(view)
        disposition, resolution = self.judge.judge(view, actions)
        fields = self.personal(self.filler.fill(view))
        summary = self.summarizer.summarize(view, intent=intent, actions=actions, disposition=disposition)
        compliance = compliance_of(view)
        reasons = list(extra_reasons or [])
        if not view.segments:
            reasons.append("the call has no transcript: nothing to summarize")
        elif sum(s.words for s in view.segments) < 5:
            reasons.append("too little was said to summarize the call")
        reasons = self.review.reasons(self.schema, fields, disposition, compliance, reasons)
        return CallAnalysis(
            engine=self.name, summary=summary, intent=intent, resolution=resolution, action_items=actions,
            disposition=disposition, fields=fields, sentiment=sentiment_of(view), compliance=compliance,
            topics=topics_of(view, intent), confidence=ReviewPolicy.overall(intent, disposition, self.schema, fields),
            needs_review=bool(reasons), review_reasons=reasons,
        )

    def personal(self, fields: dict[str, FieldResult]) -> dict[str, FieldResult]:
        """Personal values normalised for the CRM inside the vault (without a vault they stay as sealed)."""
        if self.vault is None:
            return fields
        out = dict(fields)
        for spec in self.schema.fields:
            result = fields.get(spec.name)
            if result is not None and result.sealed is not None and spec.type in PII_TYPES:
                try:
                    sealed, complete = reseal_normalized(self.vault, spec.type, result.sealed)
                    update: dict[str, Any] = {"sealed": sealed}
                    if not complete:  # "0142": the end of a number, not a number to call
                        update |= {"confidence": min(result.confidence, 0.5),
                                   "note": f"the vaulted value does not look like a whole {spec.type.value}"}
                    out[spec.name] = result.model_copy(update=update)
                except VaultError:
                    out[spec.name] = result.model_copy(update={
                        "confidence": 0.0, "note": "sealed with another vault key: cannot be read"})
        return out

    async def _intent(self, view: CallView) -> IntentResult:
        context: dict[str, Any] = view.analyzers.get("context") or {}
        index = {s.segment_id: s.index for s in view.segments}
        if context.get("detected_issue"):
            where = index.get(context.get("segment_id", ""))
            return IntentResult(name=context["detected_issue"], confidence=round(float(context["confidence"]), 3),
                                segments=[where] if where is not None else [])
        opening = [s for s in view.by_speaker("customer") if len(content_words(s.text)) >= 3][:_OPENING_SEGMENTS]
        if not opening:
            return IntentResult(name=OTHER, confidence=0.0)
        classifier = await asyncio.to_thread(self._load_classifier)
        text = " ".join(model_text(s.text) for s in opening)
        prediction = (await asyncio.to_thread(classifier.classify, [text]))[0]
        return IntentResult(name=prediction.intent, confidence=round(prediction.confidence, 3),
                            segments=[s.index for s in opening])

    def use_encoder(self, encoder: TextEncoder) -> None:
        self._encoder_factory = lambda: encoder

    def warm(self) -> None:
        self._load_classifier()

    def _encoder(self) -> TextEncoder:
        """The sentence encoder: shared with the context analyzer when it runs, else loaded here once."""
        return self._load_classifier().encoder

    def _load_classifier(self) -> IntentClassifier:
        """Built on first use, once per engine: the sentence model loads here, never per call."""
        with self._lock:  # worker threads of several calls may ask first at once
            return self._build_classifier()

    def _build_classifier(self) -> IntentClassifier:
        if self._classifier is None:
            if self._encoder_factory is not None:
                encoder: TextEncoder = self._encoder_factory()
            else:
                from callpilot.embeddings.minilm import load_minilm

                encoder = load_minilm(self._model_path, max_tokens=128)
            self._classifier = IntentClassifier(self.taxonomy, encoder)
        return self._classifier


def sentiment_of(view: CallView) -> SentimentSummary:
    state: dict[str, Any] = view.analyzers.get("sentiment") or {}
    points = [p["customer"] for p in state.get("trajectory", []) if isinstance(p.get("customer"), int | float)]
    end = (state.get("smoothed") or {}).get("customer")
    if not points or end is None:
        return SentimentSummary(start=None, end=None, trend="unknown")
    start = sum(points[:3]) / len(points[:3])
    delta = end - start
    trend = "improving" if delta > _TREND else "worsening" if delta < -_TREND else "steady"
    return SentimentSummary(start=round(start, 3), end=round(end, 3), trend=trend)


def compliance_of(view: CallView) -> Compliance:
    state: dict[str, Any] = view.analyzers.get("rules") or {}
    index = {s.segment_id: s.index for s in view.segments}
    kept = {v["seq"]: v for v in [*state.get("critical", []), *state.get("violations", [])]}  # both bounded
    violations = [ComplianceViolation(rule_id=v["rule_id"], severity=v["severity"], message=v["message"],
                                      segment=index.get(v["segment_id"]), evidence=v["evidence"])
                  for _seq, v in sorted(kept.items())]
    missed = [ComplianceMiss(rule_id=rule_id, severity=item.get("severity", "warning"),
                             message=item.get("message", ""), reason=item.get("reason"))
              for rule_id, item in state.get("checklist", {}).items() if item.get("status") == "missed"]
    return Compliance(ruleset=state.get("ruleset") or None, violations=violations, missed_requirements=missed)


def topics_of(view: CallView, intent: IntentResult) -> list[str]:
    topics = [intent.name] if intent.name != OTHER else []
    context: dict[str, Any] = view.analyzers.get("context") or {}
    topics += [a["intent"] for a in context.get("alternatives", []) if a["confidence"] >= 0.25]
    for seg in view.segments:
        topics += [e.value for e in seg.entities if e.type in ("product", "account_type")]
    return list(dict.fromkeys(t for t in topics if t))[:8]
