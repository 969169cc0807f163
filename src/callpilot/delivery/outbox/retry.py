"""When to try a delivery again: exponential backoff with jitter, a receiver's Retry-After honoured, and which
answers are final (2xx delivered; 410 Gone: the receiver asks to be unsubscribed; other 4xx: a dead letter,
since sending the same request again cannot succeed; 408, 425, 429, 5xx, timeouts and connection errors: again).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

__all__ = ["Outcome", "RetryPolicy", "classify_response"]


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"          # give up on this message: the dead-letter list, for manual redelivery
    GONE = "gone"          # give up and disable the subscription (410)


_RETRYABLE = {408, 425, 429}
_RNG = random.Random()


def classify_response(status: int | None) -> Outcome:
    """``status`` None: no answer (timeout, connection refused, TLS failure)."""
    if status is None or status >= 500 or status in _RETRYABLE:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    return Outcome.DEAD  # 3xx (redirects are not followed) and 4xx


@dataclass(frozen=True)
class RetryPolicy:
    """Delays double from ``base_seconds`` up to ``max_delay_seconds``, each drawn from 50-100% of its value
    (jitter, so that a recovered receiver is not hit by every backlog at once); ``max_attempts`` in all.
    The defaults wait 5 s, 10 s, 20 s, ... up to an hour: 14 attempts over 2.2 to 4.4 hours, so a receiver
    down for an hour loses nothing (and the outbox sends the backlog as soon as it answers again)."""

    base_seconds: float = 5.0
    max_delay_seconds: float = 3600.0
    max_attempts: int = 14

    def delay(self, attempt: int, *, retry_after: str | None = None, now: datetime | None = None,
              rng: random.Random | None = None) -> float | None:
        """Seconds before attempt ``attempt + 1`` (``attempt`` counts from 1), or None when there is none
        left. A Retry-After (seconds or an HTTP date) is honoured up to ``max_delay_seconds``."""
        if attempt >= self.max_attempts:
            return None
        asked = _retry_after_seconds(retry_after, now or datetime.now(UTC))
        if asked is not None:
            return min(max(asked, 0.0), self.max_delay_seconds)
        full = min(self.base_seconds * 2 ** (attempt - 1), self.max_delay_seconds)
        return float(full * (0.5 + 0.5 * (rng or _RNG).random()))


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
