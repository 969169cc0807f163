"""Agent-assist analytics (the integration guide's queries), folded from the event log on request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from callpilot.api.deps import Caller, get_caller
from callpilot.assist.analytics import (
    ANALYTICS_TYPES,
    agent_performance,
    feedback_breakdown,
    suggestion_effectiveness,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get("/agent-performance")
async def get_agent_performance(caller: Caller = Depends(get_caller)) -> list[dict[str, Any]]:
    """Per orchestrator agent and action: count, average processing time (ms), average confidence."""
    return agent_performance(await caller.calls.read_all(ANALYTICS_TYPES))


@router.get("/suggestions")
async def get_suggestion_effectiveness(caller: Caller = Depends(get_caller)) -> list[dict[str, Any]]:
    """Per suggestion type: shown, clicked, click rate, average confidence, helpful / not helpful / irrelevant."""
    return suggestion_effectiveness(await caller.calls.read_all(ANALYTICS_TYPES))


@router.get("/feedback")
async def get_feedback_breakdown(caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    """Feedback counts and shares, overall and per agent."""
    return feedback_breakdown(await caller.calls.read_all(ANALYTICS_TYPES))
