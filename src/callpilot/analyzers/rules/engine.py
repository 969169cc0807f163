"""Judges one segment (or the call's end) against a ruleset, given the checklist state folded so far.

Pure functions of (ruleset, state, event): the engine keeps nothing per call, so any process can handle the
next segment. The work per segment is one matcher pass plus a walk over the checklist, independent of call length.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callpilot.analyzers.rules.matcher import Hit, RulesetMatcher
from callpilot.analyzers.rules.model import Rule, Ruleset, Window
from callpilot.domain.events import Event, SegmentReceived
from callpilot.domain.events.rules import (
    APPLIERS,
    ChecklistItem,
    ChecklistStarted,
    RequirementMet,
    RequirementMissed,
    RuleViolated,
    RuleWindowsAdvanced,
)

__all__ = ["RulesEngine", "initial_state"]

STATE_KEY = "rules"
MAX_SCOPES_CACHED = 1024


def initial_state(started: ChecklistStarted) -> dict[str, Any]:
    """The state ``started`` folds into, built with the real applier so the two can never disagree."""
    analyzers: dict[str, Any] = {}
    APPLIERS[ChecklistStarted](analyzers, started, 0)
    return analyzers[STATE_KEY]  # type: ignore[no-any-return]


class RulesEngine:
    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.matcher = RulesetMatcher(ruleset)
        self._by_id = {r.id: r for r in ruleset.rules}
        self._scopes: dict[tuple[str | None, str | None], frozenset[int]] = {}

    def in_scope(self, queue: str | None, campaign: str | None) -> frozenset[int]:
        """Indexes of the rules that apply on this queue and campaign (cached: a pure function of the ruleset)."""
        key = (queue, campaign)
        scope = self._scopes.get(key)
        if scope is None:
            if len(self._scopes) >= MAX_SCOPES_CACHED:
                self._scopes.clear()
            scope = self._scopes[key] = frozenset(
                i for i, rule in enumerate(self.ruleset.rules) if rule.applies(queue, campaign))
        return scope

    def start(self, queue: str | None, campaign: str | None) -> ChecklistStarted:
        """The checklist of a new call: every required rule in scope, pending."""
        scope = self.in_scope(queue, campaign)
        items = [ChecklistItem(rule_id=r.id, ruleset=self.ruleset.name, description=r.description,
                               severity=r.severity, message=r.message, speaker=r.speaker, window=r.due())
                 for i, r in enumerate(self.ruleset.rules) if i in scope and r.kind == "required"]
        return ChecklistStarted(ruleset=self.ruleset.name, checklist=items)

    def on_segment(self, state: Mapping[str, Any], seg: SegmentReceived, scope: frozenset[int]) -> list[Event]:
        """Violations, met requirements (in the order they were said), windows that closed, and the window clock."""
        checklist: Mapping[str, Mapping[str, Any]] = state["checklist"]
        agent_seconds, agent_segments = float(state["agent_seconds"]), int(state["agent_segments"])
        hits = sorted(((hit, self.ruleset.rules[i]) for i, hit in self.matcher.scan(seg.text).items()
                       if i in scope and self.ruleset.rules[i].speaker in ("any", seg.speaker)),
                      key=lambda pair: (pair[0].start, pair[1].id))
        events: list[Event] = []
        met_now: set[str] = set()
        for hit, rule in hits:
            if rule.kind == "required":
                item = checklist.get(rule.id)
                if item and item["status"] == "pending" and _open(rule.within, seg, agent_seconds, agent_segments):
                    met_now.add(rule.id)
                    events.append(RequirementMet(ruleset=self.ruleset.name, rule_id=rule.id, at=seg.start,
                                                 **_evidence(seg, hit)))
            elif rule.kind == "prohibited" or any(
                    ref in checklist and checklist[ref]["status"] != "met" and ref not in met_now
                    for ref in rule.requires):
                events.append(self._violation(rule, seg, hit))
        if seg.speaker == "agent":
            agent_seconds = round(agent_seconds + max(0.0, seg.end - seg.start), 3)
            agent_segments += 1
        still_timed = False
        for rule_id, item in checklist.items():
            timed = self._by_id.get(rule_id)
            if item["status"] != "pending" or rule_id in met_now or timed is None or timed.within is None:
                continue
            if _closed(timed.within, seg, agent_seconds, agent_segments):
                events.append(RequirementMissed(ruleset=self.ruleset.name, rule_id=rule_id, severity=timed.severity,
                                                message=timed.message, reason=f"not said {timed.within.describe()}",
                                                at=seg.end))
            elif timed.within.call_seconds is None:
                still_timed = True
        if seg.speaker == "agent" and still_timed:
            events.append(RuleWindowsAdvanced(agent_seconds=agent_seconds, agent_segments=agent_segments))
        return events

    def on_end(self, state: Mapping[str, Any]) -> list[Event]:
        """Every requirement still pending when the call ends is missed."""
        return [RequirementMissed(ruleset=self.ruleset.name, rule_id=rule_id, severity=item["severity"],
                                  message=item["message"], reason="the call ended before it was said")
                for rule_id, item in state["checklist"].items() if item["status"] == "pending"]

    def _violation(self, rule: Rule, seg: SegmentReceived, hit: Hit) -> RuleViolated:
        return RuleViolated(ruleset=self.ruleset.name, rule_id=rule.id,
                            kind="ordering" if rule.kind == "ordering" else "prohibited", severity=rule.severity,
                            message=rule.message, at=seg.start, **_evidence(seg, hit))


def _evidence(seg: SegmentReceived, hit: Hit) -> dict[str, Any]:
    return {"segment_id": seg.segment_id, "speaker": seg.speaker, "evidence": seg.text[hit.start:hit.end],
            "char_start": hit.start, "char_end": hit.end}


def _open(window: Window | None, seg: SegmentReceived, agent_seconds: float, agent_segments: int) -> bool:
    """Whether a requirement can still be met by this segment (the state is as it was before the segment)."""
    if window is None:
        return True
    if window.agent_seconds is not None:
        return agent_seconds < window.agent_seconds
    if window.agent_segments is not None:
        return agent_segments < window.agent_segments
    assert window.call_seconds is not None
    return seg.start < window.call_seconds


def _closed(window: Window, seg: SegmentReceived, agent_seconds: float, agent_segments: int) -> bool:
    """Whether no later segment can meet it (the state includes this segment)."""
    if window.agent_seconds is not None:
        return agent_seconds >= window.agent_seconds
    if window.agent_segments is not None:
        return agent_segments >= window.agent_segments
    assert window.call_seconds is not None
    return seg.end >= window.call_seconds
