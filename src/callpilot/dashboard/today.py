"""Today's numbers for the supervisor: calls, handle time, after-call work saved, compliance misses, and how
helpful the suggestions were. Folded from the events recorded since a moment the page gives (its local
midnight), so the numbers are the log's, not a counter kept in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from callpilot.domain.events import CallEnded, CallStarted, RecordedEvent, SuggestionFeedbackGiven
from callpilot.domain.events.aftercall import AnalysisApproved, CallAnalyzed
from callpilot.domain.events.rules import RequirementMissed, RuleViolated
from callpilot.domain.events.sentiment import SentimentScored

__all__ = ["MOOD_CUT", "TODAY_TYPES", "TodayNumbers", "mood_of", "today_numbers"]

TODAY_TYPES = [t.type_name() for t in (CallStarted, CallEnded, CallAnalyzed, AnalysisApproved, RuleViolated,
                                       RequirementMissed, SuggestionFeedbackGiven, SentimentScored)]


class TodayNumbers(BaseModel):
    since: datetime
    calls: int = Field(description="calls started since then")
    live: int
    ended: int
    avg_handle_seconds: float | None = Field(description="start to end, over the calls that ended")
    analyzed: int = Field(description="calls whose wrap-up was written automatically")
    approved: int
    auto_approved: int
    pending_review: int
    after_call_seconds_saved: float = Field(description="analyzed calls x manual_wrap_up_seconds (an estimate)")
    manual_wrap_up_seconds: float
    compliance_misses: int = Field(description="rule violations and missed requirements")
    misses_by_rule: dict[str, int]
    feedback: dict[str, int] = Field(description="helpful, not_helpful, irrelevant, clicked")
    helpfulness: float | None = Field(description="helpful / (helpful + not_helpful + irrelevant)")
    calls_by_hour: list[int] = Field(description="calls started in each hour since `since` (24 buckets)")
    sentiment: dict[str, int] = Field(description="calls by the customer's smoothed sentiment now, in the "
                                                  "board's words (at most -0.2 negative, at least 0.2 positive)")


# The cut the pages use to put the smoothed score into words (web/static/js/dom.js sentimentWord), so the chart
# counts what the board's rows say.
MOOD_CUT = 0.2


def mood_of(smoothed: float) -> str:
    return "negative" if smoothed <= -MOOD_CUT else "positive" if smoothed >= MOOD_CUT else "neutral"


def today_numbers(events: Iterable[RecordedEvent], *, since: datetime, manual_wrap_up_seconds: float
                  ) -> TodayNumbers:
    started: dict[str, datetime] = {}
    ended: dict[str, datetime] = {}
    analyzed: set[str] = set()
    approved: dict[str, bool] = {}
    misses: Counter[str] = Counter()
    feedback: Counter[str] = Counter()
    mood: dict[str, str] = {}
    by_hour = [0] * 24
    for recorded in events:
        if recorded.recorded_at < since:
            continue
        event, call_id = recorded.event, recorded.call_id
        if isinstance(event, CallStarted):
            started[call_id] = recorded.recorded_at
            hour = int((recorded.recorded_at - since).total_seconds() // 3600)
            if 0 <= hour < 24:
                by_hour[hour] += 1
        elif isinstance(event, CallEnded):
            ended[call_id] = recorded.recorded_at
        elif isinstance(event, CallAnalyzed):
            analyzed.add(call_id)
            approved.pop(call_id, None)  # a new revision waits for its own approval
        elif isinstance(event, AnalysisApproved):
            approved[call_id] = event.auto
        elif isinstance(event, RuleViolated | RequirementMissed):
            misses[event.rule_id] += 1
        elif isinstance(event, SuggestionFeedbackGiven):
            feedback[event.feedback] += 1
        elif isinstance(event, SentimentScored) and "customer" in event.smoothed:
            mood[call_id] = mood_of(event.smoothed["customer"])
    handled = [(ended[c] - started[c]).total_seconds() for c in ended if c in started]
    rated = feedback["helpful"] + feedback["not_helpful"] + feedback["irrelevant"]
    mine = [c for c in analyzed if c in started]
    return TodayNumbers(
        since=since, calls=len(started), live=sum(1 for c in started if c not in ended),
        ended=sum(1 for c in started if c in ended),
        avg_handle_seconds=round(sum(handled) / len(handled), 1) if handled else None,
        analyzed=len(mine), approved=sum(1 for c in mine if c in approved),
        auto_approved=sum(1 for c in mine if approved.get(c)),
        pending_review=sum(1 for c in mine if c not in approved),
        after_call_seconds_saved=len(mine) * manual_wrap_up_seconds, manual_wrap_up_seconds=manual_wrap_up_seconds,
        compliance_misses=sum(misses.values()), misses_by_rule=dict(misses.most_common()),
        feedback={k: feedback[k] for k in ("helpful", "not_helpful", "irrelevant", "clicked")},
        helpfulness=round(feedback["helpful"] / rated, 3) if rated else None,
        calls_by_hour=by_hour,
        sentiment={label: sum(1 for c, m in mood.items() if m == label and c in started)
                   for label in ("negative", "neutral", "positive")},
    )
