"""The supervisor dashboard's reads: the board (one row per call, with the log position it reflects) and
today's numbers. The page keeps the board live by following ``/v1/stream`` from that position."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from callpilot.api.deps import Caller, get_caller
from callpilot.dashboard import TODAY_TYPES, BoardRow, TodayNumbers, board_row, today_numbers

__all__ = ["router"]

router = APIRouter(prefix="/v1/dashboard", tags=["dashboard"])


class Board(BaseModel):
    position: int
    calls: list[BoardRow]


@router.get("/board", response_model=Board)
async def board(status: Literal["live", "ended", "all"] = Query("live"), limit: int = Query(200, ge=1, le=1000),
                caller: Caller = Depends(get_caller)) -> Board:
    """The calls (live ones by default), newest first. ``position`` is the log's last position read before
    the rows: following ``/v1/stream?after=position`` misses nothing, and events a row already reflects are
    those with a seq up to the row's ``seq``."""
    position = await caller.runtime.log.last_position()
    summaries = await caller.calls.list_calls(status=None if status == "all" else status, limit=limit)
    states = await asyncio.gather(*(caller.calls.get_call(s.call_id) for s in summaries))
    return Board(position=position, calls=[board_row(state) for state in states])


@router.get("/board/{call_id}", response_model=BoardRow)
async def board_call(call_id: str, caller: Caller = Depends(get_caller)) -> BoardRow:
    return board_row(await caller.calls.get_call(call_id))


@router.get("/today", response_model=TodayNumbers)
async def today(since: datetime | None = Query(None, description="start of the day (the page sends its local "
                                                                 "midnight); default: 24 hours ago"),
                caller: Caller = Depends(get_caller)) -> TodayNumbers:
    start = since if since is not None else datetime.now(UTC) - timedelta(days=1)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    events = await caller.calls.read_all(TODAY_TYPES)
    return today_numbers(events, since=start,
                         manual_wrap_up_seconds=caller.runtime.settings.web.manual_wrap_up_seconds)
