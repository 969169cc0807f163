"""Disposition and resolution: how the call ended, from evidence in what was said and in the live analyzers'
events (an escalation suggested, a callback recommended, the customer's closing sentiment).

Each default disposition has its own evidence rules (``CUES``: agent and customer phrases, weighted); a custom
disposition set may add values with their own ``cues`` and reuse the defaults' rules by name. The confidence is
the winning value's margin over the runner-up, so a call with little evidence either way goes to review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callpilot.aftercall.view import CallView
from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml
from callpilot.domain.analysis import DEFAULT_DISPOSITIONS, ActionItem, Disposition, Resolution

__all__ = ["DispositionSpec", "OutcomeJudge", "load_dispositions"]


class DispositionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str = Field(min_length=1, max_length=80)
    description: str = ""
    cues: tuple[str, ...] = Field((), description="phrases that are evidence for it (either speaker)")


def load_dispositions(path: str | Path | None) -> tuple[DispositionSpec, ...]:
    """The disposition set: a YAML list of ``{value, description, cues}`` (or plain names); None is the
    default set."""
    if path is None:
        return tuple(DispositionSpec(value=v) for v in DEFAULT_DISPOSITIONS)
    data = read_yaml(Path(path), "dispositions file")
    if isinstance(data, dict):
        data = data.get("dispositions")
    if not isinstance(data, list) or not data:
        raise ConfigError(f"dispositions file {path}: expected a non-empty list of dispositions")
    specs = []
    for index, entry in enumerate(data):
        try:
            spec = DispositionSpec(value=entry) if isinstance(entry, str) else DispositionSpec.model_validate(entry)
            specs.append(spec)
        except ValidationError as exc:
            raise ConfigError(f"dispositions file {path}: bad entry {index + 1}: {exc.errors()[0]['msg']}") from exc
    values = [s.value.lower() for s in specs]
    if len(set(values)) != len(values):
        raise ConfigError(f"dispositions file {path}: a value is listed twice")
    return tuple(specs)


@dataclass
class _Evidence:
    score: float = 0.0
    segments: list[int] = field(default_factory=list)

    def add(self, weight: float, segment: int | None = None) -> None:
        self.score += weight
        if segment is not None and segment not in self.segments:
            self.segments.append(segment)


class OutcomeJudge:
    """``CUES``: disposition -> (speaker or "any", regex, weight)."""

    CUES: ClassVar[dict[str, tuple[tuple[str, str, float], ...]]] = {
        "Booked": (
            ("agent", r"\b(?:you're|you are) (?:all )?(?:set|booked|scheduled|confirmed) for\b", 2.0),
            ("agent", r"\b(?:i've|i have|we've|i) (?:gone ahead and )?(?:booked|scheduled|reserved) (?:you|that|it|an?|"
                      r"the)\b", 2.0),
            ("agent", r"\b(?:appointment|visit|booking|reservation) (?:is )?(?:set|confirmed|booked|scheduled)\b",
             2.0),
            ("agent", r"\b(?:technician|tech|plumber|someone) (?:will|can) (?:be there|come out|arrive|stop by)\b",
             1.0),
            ("agent", r"\bconfirmation (?:number|code|email)\b", 0.5),
        ),
        "Lead": (
            ("any", r"\b(?:quote|estimate|pricing|price list|brochure|more information|"
                    r"send (?:you|me) (?:some )?info)\b", 1.0),
            ("customer", r"\b(?:think about it|let me think|talk (?:it over )?with my|get back to you|shop around|"
                         r"not ready)\b", 1.5),
            ("customer", r"\b(?:interested in|looking (?:into|for) (?:a|an|new)|how much (?:would|does|is))\b", 0.75),
        ),
        "Spam": (
            ("any", r"\b(?:wrong number|extended (?:car )?warranty|press one|remove (?:me|my number)|stop calling|"
                    r"robocall|not interested|this is a recording)\b", 2.0),
        ),
        "Resolved": (
            ("customer", r"\b(?:that (?:fixed|solved|did) it|it(?:'s| is) working|works now|that worked|perfect|"
                         r"that's (?:all|everything) i needed|that helps|problem solved|great,? thank|"
                         r"thank you so much|that's great|awesome)\b", 1.5),
            ("agent", r"\b(?:i've|i have|we've|i) (?:gone ahead and )?(?:refunded|credited|reversed|updated|fixed|"
                      r"processed|resolved|cancell?ed|reset|removed|waived|applied|changed|unlocked|activated|"
                      r"ordered|sent|submitted)\b", 1.5),
            ("agent", r"\b(?:is there anything else|anything else i can help)\b", 0.5),
            ("customer", r"\b(?:no,? that's (?:it|all)|that's it|nothing else)\b", 0.75),
        ),
        "Unresolved": (
            ("customer", r"\b(?:still (?:not|doesn't|isn't|won't|can't)|not working|didn't (?:help|work)|"
                         r"doesn't work|this is ridiculous|unacceptable|waste of (?:my )?time|not happy)\b", 1.5),
            ("agent", r"\b(?:unfortunately (?:i|we) (?:can't|cannot|can not|am unable|are unable)|"
                      r"there's nothing (?:i|we) can do|not able to)\b", 1.5),
        ),
        "Escalated": (
            ("agent", r"\b(?:transfer(?:ring)? you|connect you (?:with|to)|escalat(?:e|ing|ed)|put you through|"
                      r"get (?:my|a) (?:supervisor|manager))\b", 2.5),
            ("customer", r"\b(?:supervisor|manager|someone else|real person|human)\b", 0.75),
        ),
        "Callback": (
            ("agent", r"\b(?:call you back|give you a call|callback|call back|reach out to you|follow up with you)\b",
             2.0),
            ("customer", r"\b(?:call me back|can you call me|callback)\b", 1.5),
        ),
    }
    BASELINE: ClassVar[dict[str, float]] = {"Unresolved": 0.5}  # what a call with no evidence is

    def __init__(self, *, dispositions: Sequence[DispositionSpec]) -> None:
        self.dispositions = tuple(dispositions)
        self._rules: dict[str, list[tuple[str, re.Pattern[str], float]]] = {}
        for spec in self.dispositions:
            rules = [(s, re.compile(p, re.I), w) for s, p, w in self.CUES.get(_builtin(spec.value), ())]
            rules += [("any", re.compile(rf"\b{re.escape(c.lower())}\b", re.I), 1.5) for c in spec.cues]
            self._rules[spec.value] = rules

    def judge(self, view: CallView, actions: Sequence[ActionItem]) -> tuple[Disposition, Resolution]:
        evidence = {spec.value: _Evidence(self.BASELINE.get(_builtin(spec.value), 0.0)) for spec in self.dispositions}
        for seg in view.segments:
            for value, rules in self._rules.items():
                for speaker, pattern, weight in rules:
                    if speaker in ("any", seg.speaker) and pattern.search(seg.text):
                        evidence[value].add(weight, seg.index)
        self._analyzer_evidence(view, evidence, actions)
        ranked = sorted(evidence.items(), key=lambda kv: kv[1].score, reverse=True)
        (value, top), runner_up = ranked[0], (ranked[1][1].score if len(ranked) > 1 else 0.0)
        confidence = 0.0 if top.score <= 0 else min(0.97, 0.45 + 0.55 * (top.score - runner_up) / top.score
                                                    + 0.1 * min(top.score, 3.0) / 3.0)
        if not top.segments:  # nothing said supports it (a baseline, or only the call's shortness): review
            confidence = min(confidence, 0.5)
        disposition = Disposition(value=value, confidence=round(confidence, 3), segments=sorted(top.segments))
        return disposition, self._resolution(evidence, value, actions)

    def _analyzer_evidence(self, view: CallView, evidence: dict[str, _Evidence], actions: Sequence[ActionItem]
                           ) -> None:
        sentiment: dict[str, Any] = view.analyzers.get("sentiment") or {}
        by_builtin = {_builtin(v): e for v, e in evidence.items()}
        if sentiment.get("escalations", 0) > 0 and "Escalated" in by_builtin:  # "escalated" resets on recovery
            by_builtin["Escalated"].add(0.75)
        if sentiment.get("callback") and "Callback" in by_builtin:
            by_builtin["Callback"].add(1.0)
        end = (sentiment.get("smoothed") or {}).get("customer")
        if isinstance(end, int | float):
            if end >= 0.25 and "Resolved" in by_builtin:
                by_builtin["Resolved"].add(0.5)
            elif end <= -0.25 and "Unresolved" in by_builtin:
                by_builtin["Unresolved"].add(0.75)
        if "Spam" in by_builtin and sum(s.words for s in view.by_speaker("customer")) < 8:
            by_builtin["Spam"].add(1.5)
        if "Callback" in by_builtin and any(a.owner in ("agent", "team") and "call" in a.text.lower() for a in actions):
            by_builtin["Callback"].add(0.5)

    @staticmethod
    def _resolution(evidence: dict[str, _Evidence], value: str, actions: Sequence[ActionItem]) -> Resolution:
        kind = _builtin(value)
        score = {_builtin(v): e.score for v, e in evidence.items()}
        if kind == "Escalated" or score.get("Escalated", 0) >= 2.5:
            return "escalated"
        if kind in ("Callback", "Booked", "Lead") or any(a.owner in ("agent", "team") and a.due for a in actions):
            return "follow_up"
        if kind == "Resolved":
            return "resolved"
        return "unresolved"


def _builtin(value: str) -> str:
    """The default disposition a configured value is (matched by name, case-insensitively), or the value."""
    return next((d for d in DEFAULT_DISPOSITIONS if d.lower() == value.lower()), value)
