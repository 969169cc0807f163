"""CrmConnector: what callpilot asks of a CRM, and the records it hands over.

Connectors are synchronous (the vendors' SDKs are built on ``requests`` and ``urllib3``) and are called from
worker threads. They translate their SDK's errors into ``DeliveryFailed``: retryable for 429 (with the
``Retry-After`` the CRM sent), 5xx and network failures; not retryable for a rejected field or a bad token,
with a message that names what was rejected. Every write is idempotent by ``key`` (the outbox message id):
an External ID upsert in Salesforce, a unique property in HubSpot, ``external_id`` in Zendesk. A delivery
retried after a crash finds the record it made the first time instead of making a second.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

__all__ = ["Callback", "CrmConnector", "CustomerRecord", "WrapUp"]


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    record_type: str
    record_id: str
    name: str | None = None
    account_id: str | None = None
    url: str | None = None
    matches: int = 1


@dataclass(frozen=True, slots=True)
class WrapUp:
    """An approved analysis, ready for a CRM: redacted text, and the fields' values (personal ones opened)."""

    key: str
    call_id: str
    subject: str
    body: str
    disposition: str
    intent: str
    resolution: str
    fields: dict[str, Any]
    agent_id: str | None = None
    duration_seconds: float | None = None
    customer_record_id: str | None = None  # this CRM's record, when the lookup at call start found one
    customer_phone: str | None = None
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Callback:
    key: str
    call_id: str
    due_at: datetime
    subject: str
    body: str
    priority: str
    agent_id: str | None = None
    customer_record_id: str | None = None
    customer_phone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class CrmConnector(ABC):
    name: ClassVar[str]

    @abstractmethod
    def find_customer(self, phone: str) -> tuple[CustomerRecord | None, int]:
        """The first record with this phone number, and how many there are."""

    @abstractmethod
    def record_call(self, wrapup: WrapUp) -> str:
        """Create (or find, by ``wrapup.key``) the call's record; its id."""

    @abstractmethod
    def schedule_callback(self, callback: Callback) -> str:
        """Create (or find, by ``callback.key``) a callback task; its id."""

    def close(self) -> None:  # noqa: B027 - most SDK clients hold nothing to close
        """Release connections."""
