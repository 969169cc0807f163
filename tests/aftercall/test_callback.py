"""The proactive callback: a negative ending schedules one, due after the delay and inside business hours."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from callpilot.aftercall.callback import CallbackScheduler, next_business_time
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted
from callpilot.domain.events.customer import CallbackScheduled
from callpilot.domain.events.sentiment import CallbackRecommended

NEW_YORK = ZoneInfo("America/New_York")
HOURS = (time(9), time(17))
WEEKDAYS = frozenset({1, 2, 3, 4, 5})


@pytest.mark.parametrize(("local", "expected"), [
    ("2026-12-03T10:15", "2026-12-03T10:15"),  # Thursday, open: as asked
    ("2026-12-03T07:30", "2026-12-03T09:00"),  # before opening: at opening
    ("2026-12-03T18:40", "2026-12-04T09:00"),  # after closing: the next morning
    ("2026-12-04T17:00", "2026-12-07T09:00"),  # Friday at closing time: Monday
    ("2026-12-05T11:00", "2026-12-07T09:00"),  # Saturday: Monday
])
def test_the_callback_falls_in_business_hours(local: str, expected: str) -> None:
    when = datetime.fromisoformat(local).replace(tzinfo=NEW_YORK)
    due = next_business_time(when, HOURS, WEEKDAYS, NEW_YORK)
    assert due.tzinfo is UTC
    assert due.astimezone(NEW_YORK).replace(tzinfo=None) == datetime.fromisoformat(expected)


def _ended_negative() -> tuple[CallState, CallbackRecommended]:
    state = CallState(call_id="c-1")
    state.record(CallStarted(agent_id="a7", queue="billing"))
    state.record(CallEnded())
    return state, CallbackRecommended(reason="ended negative", final_score=-0.6, threshold=-0.2, escalated=True)


async def test_a_negative_ending_schedules_one_callback() -> None:
    state, recommended = _ended_negative()
    scheduler = CallbackScheduler(delay_minutes=30)
    [scheduled] = await scheduler.analyze(state, recommended)
    assert isinstance(scheduled, CallbackScheduled)
    assert state.ended_at is not None and (scheduled.due_at - state.ended_at).total_seconds() == 1800
    assert scheduled.agent_id == "a7" and scheduled.queue == "billing" and scheduled.priority == "high"
    state.record(scheduled)
    assert await scheduler.analyze(state, recommended) == []  # the job ran twice: one callback
    assert state.analyzers["callback"]["callback_id"] == scheduled.callback_id


async def test_a_queue_takes_the_callback_instead_of_the_agent() -> None:
    state, recommended = _ended_negative()
    [scheduled] = await CallbackScheduler(queue="callbacks").analyze(state, recommended)
    assert isinstance(scheduled, CallbackScheduled) and scheduled.agent_id is None and scheduled.queue == "callbacks"


@pytest.mark.parametrize(("options", "message"), [
    ({"delay_minutes": -1}, "delay_minutes"),
    ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"business_hours": ["17:00", "09:00"]}, "open before they close"),
    ({"business_hours": ["nine", "five"]}, "two times"),
    ({"weekdays": [0, 8]}, "ISO day numbers"),
    ({"colour": "red"}, "takes no options"),
])
def test_bad_options_fail_at_start_up(options: dict[str, object], message: str) -> None:
    with pytest.raises((ConfigError, TypeError), match=message):
        CallbackScheduler(**options)  # type: ignore[arg-type]
