"""One row of the supervisor's live-calls table, from a call's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from callpilot.domain.call import CallState

__all__ = ["Alert", "BoardRow", "board_row"]

TREND_POINTS = 24


class Alert(BaseModel):
    kind: Literal["violation", "missed", "escalation", "signal"]
    severity: str
    message: str
    evidence: str | None = None
    seq: int


class BoardRow(BaseModel):
    call_id: str
    status: Literal["live", "ended"]
    agent_id: str | None
    agent_name: str | None
    queue: str | None
    started_at: datetime | None
    ended_at: datetime | None
    customer_sentiment: float | None = Field(description="the customer's smoothed score, -1..1")
    trend: list[float] = Field(description="the call-level score over the call, oldest first")
    alerts: list[Alert] = Field(description="violations, missed requirements, escalation suggestions and "
                                            "active signals, newest first")
    escalation: bool = Field(description="an escalation is suggested and the customer has not recovered")
    signals: list[str] = Field(description="signal kinds active now (frustration, human_requested, ...)")
    seq: int = Field(description="the call's seq this row reflects; the page skips stream events up to it")
    position: int


def board_row(state: CallState) -> BoardRow:
    sentiment: dict[str, Any] = state.analyzers.get("sentiment", {})
    signals: dict[str, Any] = state.analyzers.get("signals", {})
    smoothed = sentiment.get("smoothed", {})
    return BoardRow(
        call_id=state.call_id, status=state.status, agent_id=state.agent_id, agent_name=state.agent_name,
        queue=state.queue, started_at=state.started_at, ended_at=state.ended_at,
        customer_sentiment=smoothed.get("customer"),
        trend=[round(float(p["call"]), 3) for p in sentiment.get("trajectory", [])[-TREND_POINTS:]],
        alerts=_alerts(state), escalation=bool(sentiment.get("escalated")),
        signals=list(signals.get("active", [])), seq=state.seq, position=state.position,
    )


def _alerts(state: CallState) -> list[Alert]:
    rules: dict[str, Any] = state.analyzers.get("rules", {})
    sentiment: dict[str, Any] = state.analyzers.get("sentiment", {})
    signals: dict[str, Any] = state.analyzers.get("signals", {})
    alerts = [Alert(kind="violation", severity=v["severity"], message=v["message"], evidence=v.get("evidence"),
                    seq=v["seq"]) for v in rules.get("violations", [])]
    alerts += [Alert(kind="missed", severity=item.get("severity", "warning"),
                     message=item.get("message") or item["rule_id"], evidence=item.get("reason"), seq=item["seq"])
               for item in rules.get("checklist", {}).values() if item.get("status") == "missed"]
    if sentiment.get("escalated"):
        alerts.append(Alert(kind="escalation", severity="warning", message="escalation suggested",
                            seq=int(sentiment.get("last_escalation_seq", state.seq))))
    active = set(signals.get("active", []))
    alerts += [Alert(kind="signal", severity="info", message=last.get("detail") or kind,
                     evidence=last.get("evidence") or None, seq=last["seq"])
               for kind, last in signals.get("last", {}).items() if kind in active]
    return sorted(alerts, key=lambda a: -a.seq)
