"""After-call work over the resource API: analysis on demand, the analysis of a call, and the review queue
(list, edit, approve). Only approved revisions (by a reviewer, or automatically) are delivered."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from callpilot.api.deps import Caller, get_caller
from callpilot.core.errors import NotFound
from callpilot.domain.call import CallState
from callpilot.service.aftercall import AnalysisEdit, ReviewItem

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["after-call"])


class ApproveBody(BaseModel):
    model_config = {"extra": "forbid"}

    revision: int = Field(ge=1)
    reviewer: str = Field(min_length=1, max_length=128)


def _analysis(state: CallState) -> dict[str, Any]:
    current: dict[str, Any] | None = state.analyzers.get("aftercall")
    if current is None:
        raise NotFound(f"call {state.call_id!r} has no after-call analysis yet")
    return {"call_id": state.call_id, **current}


@router.post("/calls/{call_id}/analyze")
async def analyze(call_id: str, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    """Run the after-call analysis of an ended call now (again): a new revision, reviewed like the first."""
    return _analysis(await caller.runtime.aftercall.analyze(call_id, trace_id=caller.trace_id))


@router.get("/calls/{call_id}/analysis")
async def get_analysis(call_id: str, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    """The latest revision with reviewers' edits applied, its status, review reasons and edit history."""
    return _analysis(await caller.calls.get_call(call_id))


@router.post("/calls/{call_id}/analysis/edits")
async def edit_analysis(call_id: str, body: AnalysisEdit, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    """Change the summary, bullets, disposition, resolution or field values; recorded as an AnalysisEdited
    event with each value before and after."""
    return _analysis(await caller.runtime.aftercall.edit(call_id, body, trace_id=caller.trace_id))


@router.post("/calls/{call_id}/analysis/approve")
async def approve_analysis(call_id: str, body: ApproveBody, caller: Caller = Depends(get_caller)) -> JSONResponse:
    state, approved = await caller.runtime.aftercall.approve(call_id, body.revision, body.reviewer,
                                                              trace_id=caller.trace_id)
    return JSONResponse({**_analysis(state), "approved_now": approved}, status_code=200)


@router.get("/calls/{call_id}/deliveries")
async def call_deliveries(call_id: str, limit: int = Query(100, ge=1, le=1000), caller: Caller = Depends(get_caller)
                          ) -> list[dict[str, Any]]:
    """Where the call's wrap-up and events went: one row per destination and event, newest first, with its
    status (pending, delivered, dead), attempts and last error."""
    await caller.calls.get_call(call_id)
    return await caller.runtime.webhooks.call_deliveries(call_id, limit=limit)


@router.get("/reviews", response_model=list[ReviewItem])
async def review_queue(status: Literal["pending_review", "approved", "analyzed", "all"] = Query("pending_review"),
                       limit: int = Query(100, ge=1, le=1000), caller: Caller = Depends(get_caller)
                       ) -> list[ReviewItem]:
    """Calls by their latest analysis, newest first; by default those waiting for a reviewer, with reasons."""
    return await caller.runtime.aftercall.queue(status=None if status == "all" else status, limit=limit)
