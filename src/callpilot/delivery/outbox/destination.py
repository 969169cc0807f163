"""Destination: where the outbox sends an event (a webhook subscription, the agent's email, a CRM). The outbox
owns durability, retries and the delivery log; a destination only makes one attempt and says how it went."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from callpilot.delivery.errors import DeliveryFailed
from callpilot.delivery.outbox.retry import Outcome
from callpilot.delivery.outbox.store import Delivery

__all__ = ["Attempt", "Destination"]


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    status: int | None = None  # the receiver's HTTP status, when there was one
    error: str | None = None
    retry_after: str | None = None  # seconds or an HTTP date, as the receiver said it

    @classmethod
    def failed(cls, exc: DeliveryFailed) -> Attempt:
        return cls(Outcome.RETRY if exc.retryable else Outcome.DEAD, status=exc.status, error=str(exc),
                   retry_after=None if exc.retry_after is None else str(round(exc.retry_after)))


class Destination(ABC):
    """``id`` is the outbox rows' ``subscription_id`` (and the first half of every message id); ``sealed``:
    payloads keep the sealed personal values of CRM fields, for a destination that holds the vault key."""

    id: str
    sealed: bool = False

    @abstractmethod
    def wants(self, event_type: str) -> bool: ...

    @abstractmethod
    async def send(self, delivery: Delivery) -> Attempt:
        """One attempt; never raises for the receiver's failures (they are the Attempt)."""

    async def close(self) -> None:  # noqa: B027 - most destinations hold nothing to close
        """Release connections."""
