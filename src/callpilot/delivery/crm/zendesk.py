"""Zendesk through Zenpy (Zendesk publishes no Python SDK; Zenpy is the most used community one).

- **Lookup:** a user search by phone (``/api/v2/users/search?query=phone:+15550100142``).
- **Wrap-up:** a ticket requested by the customer's user, the summary as a private comment (an internal note),
  tagged ``callpilot`` and the disposition, with the mapped custom fields (``custom_fields``: field -> id).
- **Callback:** a ticket of type ``task``, due at the callback's time.
- **Idempotence:** tickets carry the outbox message id as ``external_id``; a delivery first lists the tickets
  with it, so a retry finds the ticket it made instead of adding one.

Zenpy sleeps through a 429 by itself; ``ratelimit_budget=0`` makes it raise at once instead, so the outbox
waits (with the ``Retry-After`` the session kept) without holding a worker thread.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, CustomField, Ticket
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from callpilot.core.errors import ConfigError
from callpilot.core.settings import ZendeskSettings
from callpilot.delivery.crm.base import Callback, CrmConnector, CustomerRecord, WrapUp
from callpilot.delivery.crm.http import CrmSession, failure
from callpilot.delivery.errors import DeliveryFailed

__all__ = ["ZendeskConnector"]


class ZendeskConnector(CrmConnector):
    name: ClassVar[str] = "zendesk"

    def __init__(self, settings: ZendeskSettings) -> None:
        self.settings = settings
        host = urlsplit(settings.base_url).netloc
        if urlsplit(settings.base_url).scheme != "https" or "." not in host:
            raise ConfigError(f"delivery.crm.zendesk.base_url must be https://<subdomain>.<domain>, got "
                              f"{settings.base_url!r}")
        subdomain, domain = host.split(".", 1)  # Zenpy builds https://{subdomain}.{domain}/api/v2
        self.session = CrmSession(timeout_seconds=settings.timeout_seconds, ca_bundle=settings.ca_bundle)
        self.client = Zenpy(subdomain=subdomain, domain=domain, email=settings.email,
                            token=settings.token.get_secret_value(), session=self.session,
                            timeout=settings.timeout_seconds, ratelimit_budget=0)
        self.base_url = settings.base_url.rstrip("/")

    def find_customer(self, phone: str) -> tuple[CustomerRecord | None, int]:
        digits = "".join(c for c in phone if c.isdigit())
        if len(digits) < 4:
            return None, 0
        number = ("+" if phone.strip().startswith("+") else "") + digits  # one token in Zendesk's search syntax
        users = self._call("user lookup", lambda: list(self.client.users.search(query=f"phone:{number}")))
        if not users:
            return None, 0
        first = users[0]
        return CustomerRecord(record_type="user", record_id=str(first.id), name=first.name,
                              account_id=str(first.organization_id) if first.organization_id else None,
                              url=f"{self.base_url}/agent/users/{first.id}"), len(users)

    def record_call(self, wrapup: WrapUp) -> str:
        ticket = Ticket(subject=wrapup.subject, comment=Comment(body=wrapup.body, public=False),
                        external_id=wrapup.key, tags=["callpilot", _tag(wrapup.disposition)],
                        custom_fields=[CustomField(id=field_id, value=wrapup.fields[name])
                                       for name, field_id in self.settings.custom_fields.items()
                                       if name in wrapup.fields])
        if wrapup.customer_record_id:
            ticket.requester_id = int(wrapup.customer_record_id)
        return self._create_once(wrapup.key, ticket)

    def schedule_callback(self, callback: Callback) -> str:
        ticket = Ticket(subject=callback.subject, comment=Comment(body=callback.body, public=False),
                        external_id=callback.key, type="task", due_at=callback.due_at.isoformat(),
                        priority={"high": "high", "low": "low"}.get(callback.priority, "normal"),
                        tags=["callpilot", "callback"])
        if callback.customer_record_id:
            ticket.requester_id = int(callback.customer_record_id)
        return self._create_once(callback.key, ticket)

    def close(self) -> None:
        self.session.close()

    def _create_once(self, key: str, ticket: Ticket) -> str:
        existing = self._call("ticket search", lambda: list(self.client.tickets(external_id=key)))
        if existing:
            return str(existing[0].id)
        audit = self._call("ticket", lambda: self.client.tickets.create(ticket))
        return str(audit.ticket.id)

    def _call(self, what: str, action: Any) -> Any:
        try:
            return action()
        except RatelimitBudgetExceeded as exc:  # a 429: Zenpy raises before sleeping
            last = self.session.last_response()
            raise failure(self.name, what, 429, "rate limited",
                          last.headers if last is not None else None) from exc
        except APIException as exc:
            response = exc.response if exc.response is not None else self.session.last_response()
            status = response.status_code if response is not None else None
            raise failure(self.name, what, status, _details(response),
                          response.headers if response is not None else None) from exc
        except requests.HTTPError as exc:  # Zendesk's plain-text answers (429 without Retry-After, 503)
            response = exc.response
            raise failure(self.name, what, response.status_code if response is not None else None,
                          _details(response), response.headers if response is not None else None) from exc
        except requests.RequestException as exc:
            raise DeliveryFailed(f"{self.name} {what}: no answer: {type(exc).__name__}", retryable=True) from exc
        except ZenpyException as exc:
            raise DeliveryFailed(f"{self.name} {what}: {exc}", retryable=False) from exc


def _tag(value: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_") or "other"


def _details(response: requests.Response | None) -> str:
    """Zendesk's ``{error, description, details: {field: [{description}]}}`` as one line."""
    if response is None:
        return ""
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    parts = [str(data.get("description") or data.get("error") or "")]
    for field, problems in (data.get("details") or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            text = problem.get("description") if isinstance(problem, dict) else problem
            parts.append(f"{field}: {text}")
    return "; ".join(p for p in parts if p)[:400]
