"""An SMTP handler for the email tests (served by the ``smtp`` fixture in conftest.py)."""

from __future__ import annotations

import email
from email.message import Message

from aiosmtpd.smtp import SMTP, Envelope, Session


class Recorder:
    """An SMTP handler that keeps what it receives, or refuses recipients with a scripted code."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[arg-type]
        return "250 Message accepted"
