"""The summary email against a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from callpilot.core.settings import EmailSettings
from callpilot.delivery.email.destination import EmailDestination
from callpilot.delivery.email.message import compose_summary_email
from callpilot.delivery.email.smtp import SmtpSender
from callpilot.delivery.errors import DeliveryFailed
from callpilot.delivery.outbox.retry import Outcome
from callpilot.delivery.outbox.store import Delivery
from tests.api.conftest import free_port
from tests.delivery.smtp import Recorder

ANALYSIS: dict[str, Any] = {
    "summary": {"text": "…", "bullets": ["Issue: billing dispute", "Done: refund submitted",
                                         "Next: a supervisor calls back (within 2 business days)"]},
    "intent": {"name": "billing_dispute", "confidence": 0.9},
    "disposition": {"value": "Escalated", "confidence": 0.85, "segments": [39]},
    "resolution": "escalated",
    "action_items": [{"text": "The team will call the customer back", "owner": "team",
                      "due": "within 2 business days", "segments": [40]}],
    "fields": {"callback_number": {"value": "[PHONE_NUMBER]", "sealed": "gAAAA-token", "confidence": 0.9}},
}


def _message() -> Any:
    return compose_summary_email(ANALYSIS, call_id="c-42", sender="callpilot@example.com",
                                 to="dana@example.com", transcript_url="https://cp.example.com/calls/c-42")


async def test_the_summary_email_arrives(smtp: tuple[Recorder, int]) -> None:
    recorder, port = smtp
    await SmtpSender(host="127.0.0.1", port=port, start_tls=False).send(_message())
    [received] = recorder.messages
    assert received["Subject"] == "Call c-42: Escalated - billing dispute"
    assert received["To"] == "dana@example.com"
    text = next(p for p in received.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    body = text.decode()
    for bullet in ANALYSIS["summary"]["bullets"]:
        assert f"- {bullet}" in body
    assert "https://cp.example.com/calls/c-42" in body and "within 2 business days" in body
    assert "gAAAA-token" not in body and "[PHONE_NUMBER]" not in body  # fields go to the CRM, not the inbox
    html = next(p for p in received.walk() if p.get_content_type() == "text/html")
    assert '<a href="https://cp.example.com/calls/c-42">' in html.get_payload(decode=True).decode()


@pytest.mark.parametrize(("code", "retryable"), [("550 No such user", False), ("452 Mailbox full", True)])
async def test_a_refused_recipient(smtp: tuple[Recorder, int], code: str, retryable: bool) -> None:
    recorder, port = smtp
    recorder.refuse = code
    with pytest.raises(DeliveryFailed) as error:
        await SmtpSender(host="127.0.0.1", port=port, start_tls=False).send(_message())
    assert error.value.retryable is retryable and code[:3] in str(error.value)


async def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(DeliveryFailed, match="unreachable") as error:
        await SmtpSender(host="127.0.0.1", port=free_port(), start_tls=False, timeout_seconds=2).send(_message())
    assert error.value.retryable


def _row(agent_id: str | None) -> Delivery:
    payload = {"type": "call_analyzed", "timestamp": "2026-12-03T10:00:00+00:00",
               "data": {"call_id": "c-42", "revision": 1, "agent_id": agent_id, "analysis": ANALYSIS}}
    return Delivery(msg_id="email:17", subscription_id="email", event_type="call_analyzed", position=17,
                    call_id="c-42", payload=json.dumps(payload), status="pending", attempts=0,
                    next_attempt_at=datetime.now(UTC), last_status=None, last_error=None)


def _destination(port: int, **options: Any) -> EmailDestination:
    settings = EmailSettings(host="127.0.0.1", port=port, start_tls=False, sender="callpilot@example.com",
                             timeout_seconds=2, transcript_url="https://cp.example.com/calls/{call_id}",
                             **options)
    return EmailDestination(settings)


@pytest.mark.parametrize(("options", "agent", "to"), [
    ({"agents": {"a1": "dana@example.com"}}, "a1", "dana@example.com"),
    ({"address_template": "{agent_id}@agents.example.com"}, "a2", "a2@agents.example.com"),
    ({"agents": {"a1": "dana@example.com"}, "address_template": "{agent_id}@x.example.com"}, "a1",
     "dana@example.com"),
])
async def test_the_destination_mails_the_calls_agent(smtp: tuple[Recorder, int], options: dict[str, Any],
                                                     agent: str, to: str) -> None:
    recorder, port = smtp
    attempt = await _destination(port, **options).send(_row(agent))
    assert attempt.outcome is Outcome.DELIVERED
    [received] = recorder.messages
    assert received["To"] == to and received["Message-ID"] == "<email.17@callpilot>"
    assert "https://cp.example.com/calls/c-42" in received.as_string()


@pytest.mark.parametrize(("refuse", "agent", "outcome", "error"), [
    (None, "nobody", Outcome.DEAD, "no email address for agent 'nobody'"),
    ("550 No such user", "a1", Outcome.DEAD, "550"),
    ("452 Mailbox full", "a1", Outcome.RETRY, "452"),
])
async def test_the_destination_says_what_went_wrong(smtp: tuple[Recorder, int], refuse: str | None, agent: str,
                                                    outcome: Outcome, error: str) -> None:
    recorder, port = smtp
    recorder.refuse = refuse
    attempt = await _destination(port, agents={"a1": "dana@example.com"}).send(_row(agent))
    assert attempt.outcome is outcome and error in (attempt.error or "")
    assert recorder.messages == []


async def test_the_destination_retries_a_server_that_is_down() -> None:
    attempt = await _destination(free_port(), agents={"a1": "dana@example.com"}).send(_row("a1"))
    assert attempt.outcome is Outcome.RETRY and "unreachable" in (attempt.error or "")
