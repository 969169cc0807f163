"""SmtpSender: one message over SMTP with ``aiosmtplib``, its failures translated into ``DeliveryFailed``: a
server that is down, slow, or answers 4xx is retryable; 5xx (a refused recipient, a rejected message) is not."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from callpilot.delivery.errors import DeliveryFailed

__all__ = ["SmtpSender"]


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
