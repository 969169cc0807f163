"""The integration guide's three assist queries, folded from events: agent performance, suggestion
effectiveness, feedback breakdown. Pure functions over recorded events (the service reads them from the log)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from callpilot.domain.events import RecordedEvent, SuggestionFeedbackGiven
from callpilot.domain.events.assist import AgentActionRecorded, ClarifyingQuestionsAsked, SuggestionsProvided

__all__ = ["ANALYTICS_TYPES", "agent_performance", "feedback_breakdown", "suggestion_effectiveness"]

ANALYTICS_TYPES = [AgentActionRecorded.type_name(), SuggestionsProvided.type_name(),
                   ClarifyingQuestionsAsked.type_name(), SuggestionFeedbackGiven.type_name()]


def agent_performance(events: Iterable[RecordedEvent]) -> list[dict[str, Any]]:
    """Per (agent, action): count, average processing time, average confidence (of the steps that have one)."""
    rows: dict[tuple[str, str], list[AgentActionRecorded]] = defaultdict(list)
    for recorded in events:
        if isinstance(recorded.event, AgentActionRecorded):
            rows[(recorded.event.agent, recorded.event.action)].append(recorded.event)
    out = []
    for (agent, action), items in sorted(rows.items()):
        confidences = [e.confidence for e in items if e.confidence is not None]
        out.append({"agent": agent, "action": action, "count": len(items),
                    "avg_processing_ms": round(sum(e.processing_ms for e in items) / len(items), 3),
                    "avg_confidence": round(sum(confidences) / len(confidences), 4) if confidences else None})
    return out


def suggestion_effectiveness(events: Iterable[RecordedEvent]) -> list[dict[str, Any]]:
    """Per suggestion type (article, faq, question): shown, clicked, click rate, average confidence, and the
    feedback they got."""
    kind_of: dict[tuple[str, str], str] = {}
    stats: dict[str, dict[str, Any]] = defaultdict(lambda: {"shown": 0, "clicked": 0, "confidence_sum": 0.0,
                                                            "helpful": 0, "not_helpful": 0, "irrelevant": 0})
    for recorded in events:
        event = recorded.event
        if isinstance(event, SuggestionsProvided):
            for card in event.suggestions:
                kind_of[(recorded.call_id, card.suggestion_id)] = card.type
                stats[card.type]["shown"] += 1
                stats[card.type]["confidence_sum"] += card.confidence
        elif isinstance(event, ClarifyingQuestionsAsked):
            for question in event.questions:
                kind_of[(recorded.call_id, question.question_id)] = "question"
                stats["question"]["shown"] += 1
        elif isinstance(event, SuggestionFeedbackGiven):
            kind = kind_of.get((recorded.call_id, event.suggestion_id))
            if kind is not None:
                stats[kind]["clicked" if event.feedback == "clicked" else event.feedback] += 1
    out = []
    for kind, row in sorted(stats.items()):
        shown = row.pop("shown")
        total = row.pop("confidence_sum")
        out.append({"type": kind, "shown": shown, **row,
                    "click_rate": round(row["clicked"] / shown, 4) if shown else 0.0,
                    "avg_confidence": round(total / shown, 4) if shown and kind != "question" else None})
    return out


def feedback_breakdown(events: Iterable[RecordedEvent]) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    by_agent: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for recorded in events:
        if isinstance(recorded.event, SuggestionFeedbackGiven):
            counts[recorded.event.feedback] += 1
            by_agent[recorded.event.agent_id or "(unknown)"][recorded.event.feedback] += 1
    total = sum(counts.values())
    return {"total": total, "counts": dict(sorted(counts.items())),
            "shares": {k: round(v / total, 4) for k, v in sorted(counts.items())} if total else {},
            "by_agent": {agent: dict(sorted(c.items())) for agent, c in sorted(by_agent.items())}}
