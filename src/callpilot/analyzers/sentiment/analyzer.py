"""Per-segment sentiment, a smoothed trajectory, escalation and callback triggers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.sentiment.model import CalibratedVader, RawVader, ScoredText, SentimentModel
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, Event, SegmentReceived
from callpilot.domain.events.sentiment import (
    MAX_EVIDENCE,
    CallbackRecommended,
    EscalationSuggested,
    SentimentEvidence,
    SentimentScored,
)

__all__ = ["MODELS", "SentimentAnalyzer"]

MODELS: dict[str, type[SentimentModel]] = {CalibratedVader.name: CalibratedVader, RawVader.name: RawVader}
_SPEAKERS = ("agent", "customer")
_EXCERPT_CHARS = 200


class SentimentAnalyzer(Analyzer):
    """Scores each final segment, smooths per speaker and for the call, and raises two alerts.

    * ``EscalationSuggested`` when the customer's smoothed score stays below ``threshold`` for ``window``
      counted customer segments in a row; once per negative episode, which ends when the smoothed score
      climbs back to ``recovery_threshold`` (the gap stops a score hovering at the threshold from re-alerting).
    * ``CallbackRecommended`` at ``CallEnded`` when the customer's smoothed score is below ``callback_threshold``.

    Smoothing is exponential with weight ``alpha`` on the new segment. The call-level score weighs agent
    segments by ``agent_weight``: the call's mood is mostly the customer's. Short neutral segments (fewer than
    ``min_words`` words: "okay", "yeah", an account number) are scored but move nothing.
    """

    name: ClassVar[str] = "sentiment"
    triggers: ClassVar[tuple[type[Event], ...]] = (SegmentReceived, CallEnded)
    SUGGESTED_ACTION: ClassVar[str] = "supervisor: listen in and be ready to take over"

    def __init__(
        self, *, model: str | SentimentModel = CalibratedVader.name, lexicon: str | Path | None = None,
        extra_lexicon: str | Path | None = None, threshold: float = -0.25, window: int = 3,
        recovery_threshold: float = 0.0, alpha: float = 0.5, agent_weight: float = 0.3,
        callback_threshold: float = -0.2, neutral_band: float | None = None, min_words: int = 4,
        speakers: list[str] | tuple[str, ...] = _SPEAKERS, suggested_action: str | None = None,
    ) -> None:
        self.model = _build_model(model, lexicon, extra_lexicon)
        _check_range("threshold", threshold, -1.0, 1.0)
        _check_range("recovery_threshold", recovery_threshold, threshold, 1.0)
        _check_range("callback_threshold", callback_threshold, -1.0, 1.0)
        _check_range("alpha", alpha, 0.01, 1.0)
        _check_range("agent_weight", agent_weight, 0.0, 1.0)
        _check_range("window", window, 1, MAX_EVIDENCE)
        _check_range("min_words", min_words, 0, 50)
        band = self.model.neutral_band if neutral_band is None else neutral_band
        _check_range("neutral_band", band, 0.0, 1.0)
        unknown = sorted(set(speakers) - set(_SPEAKERS))
        if unknown or not speakers:
            raise ConfigError(f"analyzer 'sentiment': speakers must be a non-empty subset of {list(_SPEAKERS)}, "
                              f"got {list(speakers)}")
        self.threshold, self.recovery_threshold, self.callback_threshold = threshold, recovery_threshold, \
            callback_threshold
        self.alpha, self.agent_weight, self.window, self.min_words = alpha, agent_weight, int(window), min_words
        self.neutral_band, self.speakers = band, frozenset(speakers)
        self.suggested_action = suggested_action or self.SUGGESTED_ACTION

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        state = call.analyzers.get(self.name) or {}
        if isinstance(event, CallEnded):
            return self._at_end(state)
        if not isinstance(event, SegmentReceived) or not event.final or event.speaker not in self.speakers:
            return []
        scored = self.score_segment(state, event)
        out: list[Event] = [scored]
        if (scored.speaker == "customer" and scored.negative_run >= self.window
                and not state.get("escalated", False)):
            out.append(self._escalation(state, scored))
        return out

    def score_segment(self, state: dict[str, Any], seg: SegmentReceived) -> SentimentScored:
        """The segment's score and the running values after it, from the previous state alone."""
        explained = self.model.explain(seg.text)
        score = max(-1.0, min(1.0, explained.score))
        label = self._label(score)
        counted = label != "neutral" or len(seg.text.split()) >= self.min_words
        smoothed = dict(state.get("smoothed", {}))
        first = not smoothed
        call_score = float(state.get("call_score", 0.0))
        run, episode = int(state.get("negative_run", 0)), bool(state.get("episode_open", False))
        if counted:
            prev = smoothed.get(seg.speaker)
            smoothed[seg.speaker] = round(score if prev is None else prev + self.alpha * (score - prev), 4)
            weight = 1.0 if seg.speaker == "customer" else self.agent_weight
            call_score = score * weight if first else call_score + self.alpha * weight * (score - call_score)
            if seg.speaker == "customer":
                customer = smoothed["customer"]
                run = run + 1 if customer < self.threshold else 0
                episode = run > 0 or (episode and customer < self.recovery_threshold)
        return SentimentScored(
            segment_id=seg.segment_id, speaker=seg.speaker, score=score, label=label, counted=counted,
            at=max(seg.end, seg.start), smoothed=smoothed, call_score=round(max(-1.0, min(1.0, call_score)), 4),
            negative_run=run, episode_open=episode, evidence=self._evidence(seg, explained, label),
            cues=[cue for clause in explained.clauses for cue in clause.cues],
        )

    def _label(self, score: float) -> Literal["negative", "neutral", "positive"]:
        if abs(score) < self.neutral_band:
            return "neutral"
        return "positive" if score > 0 else "negative"

    def _evidence(self, seg: SegmentReceived, explained: ScoredText, label: str) -> SentimentEvidence | None:
        """The clause that pushed hardest in the direction of the label (None for a neutral segment)."""
        if label == "neutral" or not explained.clauses:
            return None
        sign = 1.0 if label == "positive" else -1.0
        clause = max(explained.clauses, key=lambda c: sign * c.valence)
        text = seg.text
        start = clause.start + (len(text[clause.start:clause.end]) - len(text[clause.start:clause.end].lstrip()))
        end = min(clause.start + len(text[clause.start:clause.end].rstrip()), start + _EXCERPT_CHARS)
        return SentimentEvidence(segment_id=seg.segment_id, excerpt=text[start:end], start=start, end=end,
                                 score=explained.score)

    def _escalation(self, state: dict[str, Any], scored: SentimentScored) -> EscalationSuggested:
        evidence = [SentimentEvidence.model_validate(e) for e in state.get("run_evidence", [])]
        if scored.evidence is not None:
            evidence.append(scored.evidence)
        evidence = evidence[-self.window:]
        customer = scored.smoothed["customer"]
        return EscalationSuggested(
            reason=(f"customer negative for {scored.negative_run} segments in a row "
                    f"(smoothed score {customer:+.2f}, threshold {self.threshold:+.2f})"),
            segment_ids=[e.segment_id for e in evidence], evidence=evidence, customer_score=customer,
            run_length=scored.negative_run, threshold=self.threshold, suggested_action=self.suggested_action,
        )

    def _at_end(self, state: dict[str, Any]) -> list[Event]:
        final = state.get("smoothed", {}).get("customer")
        if final is None or final >= self.callback_threshold or state.get("callback"):
            return []
        evidence = [SentimentEvidence.model_validate(e) for e in state.get("run_evidence", [])][-self.window:]
        return [CallbackRecommended(
            reason=(f"call ended with the customer negative (smoothed score {final:+.2f}, "
                    f"threshold {self.callback_threshold:+.2f})"),
            final_score=final, threshold=self.callback_threshold, escalated=state.get("escalations", 0) > 0,
            evidence=evidence,
        )]


def _build_model(model: str | SentimentModel, lexicon: str | Path | None,
                 extra_lexicon: str | Path | None) -> SentimentModel:
    if isinstance(model, SentimentModel):
        if lexicon or extra_lexicon:
            raise ConfigError("analyzer 'sentiment': lexicon options apply to a model by name, not an instance")
        return model
    if model not in MODELS:
        raise ConfigError(f"analyzer 'sentiment': unknown model {model!r} (known: {', '.join(sorted(MODELS))})")
    if model == CalibratedVader.name:
        return CalibratedVader(lexicon=lexicon, extra_lexicon=extra_lexicon)
    if lexicon or extra_lexicon:
        raise ConfigError(f"analyzer 'sentiment': model {model!r} takes no lexicon (only {CalibratedVader.name!r})")
    return MODELS[model]()


def _check_range(option: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ConfigError(f"analyzer 'sentiment': option {option} must be a number in [{low}, {high}], "
                          f"got {value!r}")
