"""The summary email to the agent (level 1 of the after-call notes): the call's three bullets, disposition and
next steps, and a link to the transcript, sent over SMTP with ``aiosmtplib``.

The analysis is already redacted and personal field values are vault tokens, so nothing personal is in the
message; fields are not listed (they go to the CRM). SMTP failures are translated into ``DeliveryFailed``: a
server that is down, slow, or answers 4xx is retryable; 5xx (a refused recipient, a rejected message) is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from html import escape
from typing import Any

import aiosmtplib

from callpilot.delivery.errors import DeliveryFailed

__all__ = ["SmtpSender", "compose_summary_email"]


def compose_summary_email(analysis: dict[str, Any], *, call_id: str, sender: str, to: str,
                          transcript_url: str) -> EmailMessage:
    """A plain-text and HTML message from an analysis (``CallAnalysis`` as JSON)."""
    disposition = analysis["disposition"]["value"]
    intent = analysis["intent"]["name"].replace("_", " ")
    bullets = list(analysis["summary"]["bullets"])
    actions = [f"{a['text']} ({a['owner']}{', ' + a['due'] if a.get('due') else ''})"
               for a in analysis.get("action_items", [])]
    message = EmailMessage()
    message["Subject"] = f"Call {call_id}: {disposition}" + (f" - {intent}" if intent != "other" else "")
    message["From"], message["To"] = sender, to
    text = ["Your call's wrap-up:", "", *(f"- {b}" for b in bullets), "", f"Disposition: {disposition}",
            f"Resolution: {analysis['resolution'].replace('_', ' ')}"]
    if actions:
        text += ["", "Next steps:", *(f"- {a}" for a in actions)]
    text += ["", f"Transcript: {transcript_url}"]
    message.set_content("\n".join(text))
    items = "".join(f"<li>{escape(b)}</li>" for b in bullets)
    steps = "".join(f"<li>{escape(a)}</li>" for a in actions)
    message.add_alternative(
        f"<p>Your call's wrap-up:</p><ul>{items}</ul><p>Disposition: <b>{escape(disposition)}</b>, "
        f"{escape(analysis['resolution'].replace('_', ' '))}</p>"
        + (f"<p>Next steps:</p><ul>{steps}</ul>" if steps else "")
        + f'<p><a href="{escape(transcript_url, quote=True)}">Transcript</a></p>', subtype="html")
    return message


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    start_tls: bool | None = None  # None: upgrade when the server offers STARTTLS
    use_tls: bool = False
    timeout_seconds: float = 10.0

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, username=self.username,
                                  password=self.password, start_tls=self.start_tls, use_tls=self.use_tls,
                                  timeout=self.timeout_seconds)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise DeliveryFailed(f"SMTP server refused the recipient ({', '.join(map(str, codes))})",
                                 retryable=all(400 <= c < 500 for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP server answered {exc.code}", retryable=400 <= exc.code < 500) from exc
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected,
                OSError) as exc:
            raise DeliveryFailed(f"SMTP server unreachable or too slow: {type(exc).__name__}",
                                 retryable=True) from exc
