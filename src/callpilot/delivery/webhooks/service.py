"""WebhookService: what the registration API does (create, list, enable, disable, delete, test, the delivery
log and redelivery), over the store, in worker threads."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import InvalidInput
from callpilot.delivery.catalog import WEBHOOK_EVENT_TYPES
from callpilot.delivery.outbox.store import Delivery, NewDelivery, OutboxStore, Subscription
from callpilot.delivery.webhooks.signing import generate_secret
from callpilot.delivery.webhooks.urls import UrlPolicy

__all__ = ["NewWebhook", "WebhookService", "WebhookView"]


class NewWebhook(BaseModel):
    model_config = {"extra": "forbid"}

    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] = Field(min_length=1, description=f"of {', '.join(WEBHOOK_EVENT_TYPES)}, or '*'")
    description: str | None = Field(None, max_length=500)

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t != "*" and t not in WEBHOOK_EVENT_TYPES]
        if unknown:
            raise ValueError(f"unknown event types {unknown}; the types are {', '.join(WEBHOOK_EVENT_TYPES)}")
        return list(dict.fromkeys(value))


class WebhookView(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    secret: str | None = Field(None, description="shown once, when the webhook is created")

    @classmethod
    def of(cls, sub: Subscription, secret: str | None = None) -> WebhookView:
        return cls(id=sub.id, url=sub.url, event_types=list(sub.event_types), description=sub.description,
                   enabled=sub.enabled, disabled_reason=sub.disabled_reason, created_at=sub.created_at,
                   secret=secret)


@dataclass
class WebhookService:
    store: OutboxStore
    policy: UrlPolicy
    vault: Vault

    async def create(self, new: NewWebhook) -> WebhookView:
        await asyncio.to_thread(self.policy.check_url, new.url)
        secret = generate_secret()
        sub = Subscription(id=f"wh_{uuid.uuid4().hex[:16]}", url=new.url, event_types=tuple(new.event_types),
                           secret_sealed=self.vault.seal(secret), description=new.description, enabled=True,
                           disabled_reason=None, created_at=datetime.now(UTC))
        await asyncio.to_thread(self.store.add_subscription, sub)
        return WebhookView.of(sub, secret)

    async def list_all(self) -> list[WebhookView]:
        return [WebhookView.of(s) for s in await asyncio.to_thread(self.store.subscriptions)]

    async def get(self, sub_id: str) -> WebhookView:
        return WebhookView.of(await asyncio.to_thread(self.store.subscription, sub_id))

    async def set_enabled(self, sub_id: str, enabled: bool) -> WebhookView:
        sub = await asyncio.to_thread(self.store.set_enabled, sub_id, enabled, reason="disabled through the API")
        return WebhookView.of(sub)

    async def delete(self, sub_id: str) -> None:
        await asyncio.to_thread(self.store.delete_subscription, sub_id)

    async def send_test(self, sub_id: str) -> str:
        """Queue a ``test`` event for this webhook alone; the message id, to find it in the delivery log."""
        sub = await asyncio.to_thread(self.store.subscription, sub_id)
        if not sub.enabled:
            raise InvalidInput(f"webhook {sub_id} is disabled", field="id")
        msg_id = f"{sub.id}:test:{uuid.uuid4().hex[:12]}"
        payload = {"type": "test", "timestamp": datetime.now(UTC).isoformat(), "data": {"webhook_id": sub.id}}
        await asyncio.to_thread(self.store.add_delivery, NewDelivery(
            msg_id=msg_id, subscription_id=sub.id, event_type="test", position=0, call_id="",
            payload=json.dumps(payload, separators=(",", ":"))))
        return msg_id

    async def deliveries(self, sub_id: str, *, status: str | None, limit: int) -> list[dict[str, Any]]:
        await asyncio.to_thread(self.store.subscription, sub_id)  # NotFound for an unknown webhook
        rows = await asyncio.to_thread(self.store.deliveries, status=status, subscription_id=sub_id, limit=limit)
        return [_delivery_view(d) for d in rows]

    async def call_deliveries(self, call_id: str, *, limit: int) -> list[dict[str, Any]]:
        """What was sent (or is waiting) for one call, to every destination: webhooks, CRMs, email."""
        rows = await asyncio.to_thread(self.store.deliveries, call_id=call_id, limit=limit)
        return [{"destination": d.subscription_id, **_delivery_view(d)} for d in rows]

    async def redeliver(self, msg_id: str) -> None:
        await asyncio.to_thread(self.store.redeliver, msg_id)


def _delivery_view(d: Delivery) -> dict[str, Any]:
    return {"msg_id": d.msg_id, "event_type": d.event_type, "position": d.position, "call_id": d.call_id or None,
            "status": d.status, "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.isoformat(),
            "last_status": d.last_status, "last_error": d.last_error}
