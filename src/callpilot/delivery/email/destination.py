"""EmailDestination: the agent's summary email, sent when a call's analysis is approved (``call_analyzed``).

The address comes from ``email.agents`` or ``email.address_template``; an agent with neither gets a dead
letter saying so (redeliver it once the settings name an address). SMTP has no delivery id a server honours,
so the message carries a ``Message-ID`` made from the outbox key: a crash between sending and recording can
send it twice, and the two are recognisably one message.
"""

from __future__ import annotations

import json

from callpilot.core.settings import EmailSettings
from callpilot.delivery.email.message import compose_summary_email
from callpilot.delivery.email.smtp import SmtpSender
from callpilot.delivery.errors import DeliveryFailed
from callpilot.delivery.outbox.destination import Attempt, Destination
from callpilot.delivery.outbox.retry import Outcome
from callpilot.delivery.outbox.store import Delivery

__all__ = ["EmailDestination"]


class EmailDestination(Destination):
    id = "email"

    def __init__(self, settings: EmailSettings, *, sender: SmtpSender | None = None) -> None:
        self.settings = settings
        self.sender = sender or SmtpSender(
            host=settings.host, port=settings.port, username=settings.username,
            password=settings.password.get_secret_value() if settings.password else None,
            start_tls=settings.start_tls, use_tls=settings.use_tls, timeout_seconds=settings.timeout_seconds)

    def wants(self, event_type: str) -> bool:
        return event_type == "call_analyzed"

    def address(self, agent_id: str | None) -> str | None:
        if agent_id is None:
            return None
        if agent_id in self.settings.agents:
            return self.settings.agents[agent_id]
        template = self.settings.address_template
        return template.format(agent_id=agent_id) if template else None

    async def send(self, delivery: Delivery) -> Attempt:
        data = json.loads(delivery.payload)["data"]
        to = self.address(data.get("agent_id"))
        if to is None:
            return Attempt(Outcome.DEAD, error=f"no email address for agent {data.get('agent_id')!r} "
                                               "(email.agents or email.address_template)")
        message = compose_summary_email(
            data["analysis"], call_id=data["call_id"], sender=self.settings.sender, to=to,
            transcript_url=self.settings.transcript_url.format(call_id=data["call_id"]),
            message_id=f"<{delivery.msg_id.replace(':', '.')}@callpilot>")
        try:
            await self.sender.send(message)
        except DeliveryFailed as exc:
            return Attempt.failed(exc)
        return Attempt(Outcome.DELIVERED)
