"""The proactive callback: when a call ended with the customer negative (``CallbackRecommended``, from the
sentiment analyzer), the background path schedules a callback (``CallbackScheduled``). The outbox sends it as
``callback_scheduled`` to webhooks and as a task to every configured CRM.

The due time is ``delay_minutes`` after the call ended, moved into ``business_hours`` (local to ``timezone``)
when given: a callback scheduled at 18:40 for a 09:00-17:00 desk is due 09:00 the next working day. It goes to
the call's agent, or to ``queue`` when set.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callpilot.analyzers.base import Analyzer
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import Event
from callpilot.domain.events.customer import CallbackScheduled
from callpilot.domain.events.sentiment import CallbackRecommended

__all__ = ["CallbackScheduler", "next_business_time"]


class CallbackScheduler(Analyzer):
    name: ClassVar[str] = "callback"
    triggers: ClassVar[tuple[type[Event], ...]] = (CallbackRecommended,)

    def __init__(self, *, delay_minutes: float = 60.0, business_hours: tuple[str, str] | list[str] | None = None,
                 weekdays: list[int] | None = None, timezone: str = "UTC",
                 priority: Literal["low", "normal", "high"] = "high", queue: str | None = None,
                 **options: Any) -> None:
        """``business_hours``: ["09:00", "17:00"]; ``weekdays``: ISO days open (default Monday to Friday)."""
        super().__init__(**options)
        if delay_minutes < 0:
            raise ConfigError("analyzer 'callback': delay_minutes must not be negative")
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"analyzer 'callback': unknown timezone {timezone!r}") from exc
        self.hours = _hours(business_hours)
        self.weekdays = frozenset(weekdays or [1, 2, 3, 4, 5])
        if not self.weekdays <= set(range(1, 8)):
            raise ConfigError("analyzer 'callback': weekdays are ISO day numbers, 1 (Monday) to 7")
        self.delay = timedelta(minutes=delay_minutes)
        self.priority, self.queue = priority, queue

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, CallbackRecommended) or call.analyzers.get(self.name):
            return []  # scheduled already: the job ran twice
        ended = call.ended_at or datetime.now(UTC)
        due = ended + self.delay
        if self.hours is not None:
            due = next_business_time(due, self.hours, self.weekdays, self.zone)
        return [CallbackScheduled(
            callback_id=f"cb_{uuid.uuid4().hex[:16]}", due_at=due, reason=event.reason,
            final_score=event.final_score, priority=self.priority,
            agent_id=None if self.queue else call.agent_id, queue=self.queue or call.queue)]


def next_business_time(when: datetime, hours: tuple[time, time], weekdays: frozenset[int],
                       zone: ZoneInfo) -> datetime:
    """``when`` if it falls in business hours, else the next opening (in UTC)."""
    local = when.astimezone(zone)
    for _ in range(15):  # two weeks and a day reach an open day whatever the weekdays
        opens = datetime.combine(local.date(), hours[0], zone)
        closes = datetime.combine(local.date(), hours[1], zone)
        if local.isoweekday() in weekdays and local < closes:
            return max(local, opens).astimezone(UTC)
        local = datetime.combine(local.date() + timedelta(days=1), hours[0], zone)
    raise ConfigError("analyzer 'callback': no business day in weekdays")


def _hours(value: tuple[str, str] | list[str] | None) -> tuple[time, time] | None:
    if value is None:
        return None
    try:
        opens, closes = (time.fromisoformat(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"analyzer 'callback': business_hours must be two times like ['09:00', '17:00'], "
                          f"got {value!r}") from exc
    if not opens < closes:
        raise ConfigError("analyzer 'callback': business_hours must open before they close")
    return opens, closes
