"""CrmDestination: a CRM connector as an outbox destination. It takes the sealed payloads (it holds the vault
key), writes the approved wrap-up (``call_analyzed``) and the callback (``callback_scheduled``), and runs the
synchronous SDK in a worker thread so a slow CRM never blocks the event loop."""

from __future__ import annotations

import asyncio
import json

from callpilot.analyzers.pii.vault import Vault, VaultError
from callpilot.delivery.crm.base import CrmConnector
from callpilot.delivery.crm.record import callback_from, wrapup_from
from callpilot.delivery.errors import DeliveryFailed
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.retry import Outcome
from callpilot.delivery.outbox.store import Delivery

__all__ = ["CrmDestination"]

_TYPES = frozenset({"call_analyzed", "callback_scheduled"})


class CrmDestination(Destination):
    sealed = True

    def __init__(self, connector: CrmConnector, *, vault: Vault) -> None:
        self.connector, self.vault, self.id = connector, vault, connector.name

    def wants(self, event_type: str) -> bool:
        return event_type in _TYPES

    async def send(self, delivery: Delivery) -> Attempt:
        data = json.loads(delivery.payload)["data"]
        try:
            if delivery.event_type == "call_analyzed":
                record = wrapup_from(data, key=delivery.msg_id, crm=self.id, vault=self.vault)
                await asyncio.to_thread(self.connector.record_call, record)
            else:
                callback = callback_from(data, key=delivery.msg_id, crm=self.id, vault=self.vault)
                await asyncio.to_thread(self.connector.schedule_callback, callback)
        except VaultError:
            return Attempt(Outcome.DEAD, error="a personal value was sealed with another vault key")
        except DeliveryFailed as exc:
            return Attempt.failed(exc)
        return Attempt(Outcome.DELIVERED)

    async def close(self) -> None:
        await asyncio.to_thread(self.connector.close)
