"""Salesforce through simple-salesforce (Salesforce publishes no Python SDK; this is the community's, built on
the REST API).

- **Lookup:** SOSL ``FIND {digits} IN PHONE FIELDS RETURNING Contact(...)``, which matches however the number
  is formatted in the org.
- **Wrap-up:** a Task (a logged call: ``TaskSubtype=Call``, ``CallDisposition``, the duration, ``WhoId`` the
  contact) or a Case, with the mapped fields (``field_map``).
- **Callback:** a Task due on the callback's date, with a reminder at its time.
- **Idempotence:** every write is an upsert on the External ID field ``external_id_field`` (a custom field the
  org adds to Task/Case), keyed by the outbox message id, so a retried delivery updates its record instead of
  adding one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from callpilot.core.settings import SalesforceSettings
from callpilot.delivery.crm.base import Callback, CrmConnector, CustomerRecord, WrapUp
from callpilot.delivery.crm.http import CrmSession, failure
from callpilot.delivery.errors import DeliveryFailed

__all__ = ["SalesforceConnector"]


class SalesforceConnector(CrmConnector):
    name: ClassVar[str] = "salesforce"

    def __init__(self, settings: SalesforceSettings) -> None:
        self.settings = settings
        self.session = CrmSession(timeout_seconds=settings.timeout_seconds, ca_bundle=settings.ca_bundle)
        self.client = Salesforce(instance_url=settings.instance_url.rstrip("/"),
                                 session_id=settings.access_token.get_secret_value(), session=self.session,
                                 version=settings.api_version)

    def find_customer(self, phone: str) -> tuple[CustomerRecord | None, int]:
        digits = "".join(c for c in phone if c.isdigit())
        if len(digits) < 4:
            return None, 0
        found = self._call("contact lookup", self.client.search,
                           f"FIND {{{digits}}} IN PHONE FIELDS RETURNING Contact(Id, Name, AccountId)")
        records = [r for r in (found or {}).get("searchRecords", [])
                   if r.get("attributes", {}).get("type") == "Contact"]
        if not records:
            return None, 0
        first = records[0]
        return CustomerRecord(record_type="Contact", record_id=first["Id"], name=first.get("Name"),
                              account_id=first.get("AccountId"), url=self._url("Contact", first["Id"])), len(records)

    def record_call(self, wrapup: WrapUp) -> str:
        sobject = self.settings.sobject
        if sobject == "Task":
            data: dict[str, Any] = {"Subject": wrapup.subject[:255], "Description": wrapup.body,
                                    "Status": "Completed", "TaskSubtype": "Call", "Type": "Call",
                                    "CallDisposition": wrapup.disposition[:255], "CallObject": wrapup.call_id[:255]}
            if wrapup.duration_seconds is not None:
                data["CallDurationInSeconds"] = round(wrapup.duration_seconds)
            if wrapup.customer_record_id:
                data["WhoId"] = wrapup.customer_record_id
        else:
            data = {"Subject": wrapup.subject[:255], "Description": wrapup.body, "Origin": "Phone",
                    "Status": "Closed" if wrapup.resolution == "resolved" else "New"}
            if wrapup.customer_record_id:
                data["ContactId"] = wrapup.customer_record_id
        data |= {target: wrapup.fields[name] for name, target in self.settings.field_map.items()
                 if name in wrapup.fields}
        return self._upsert(sobject, wrapup.key, data)

    def schedule_callback(self, callback: Callback) -> str:
        data: dict[str, Any] = {
            "Subject": callback.subject, "Description": callback.body, "Status": "Not Started",
            "Priority": {"high": "High", "low": "Low"}.get(callback.priority, "Normal"), "TaskSubtype": "Call",
            "ActivityDate": callback.due_at.date().isoformat(), "IsReminderSet": True,
            "ReminderDateTime": _datetime(callback.due_at)}
        if callback.customer_record_id:
            data["WhoId"] = callback.customer_record_id
        return self._upsert("Task", callback.key, data)

    def close(self) -> None:
        self.session.close()

    def _upsert(self, sobject: str, key: str, data: dict[str, Any]) -> str:
        external = key.replace(":", "-")  # External ID values: letters, digits, - and _
        target = getattr(self.client, sobject)
        response = self._call(f"{sobject} upsert", target.upsert, f"{self.settings.external_id_field}/{external}",
                              data, raw_response=True)
        try:
            return str(response.json().get("id") or external)
        except ValueError:  # 204 No Content: an update on an older API version
            return external

    def _call(self, what: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SalesforceError as exc:
            last = self.session.last_response()
            detail = _errors(exc.content)
            if exc.status == 403 and "REQUEST_LIMIT_EXCEEDED" in detail:  # Salesforce's rate limit is a 403
                raise DeliveryFailed(f"{self.name} {what}: the org's API request limit is used up: {detail}"[:480],
                                     retryable=True, status=403) from exc
            raise failure(self.name, what, exc.status, detail, last.headers if last is not None else None) from exc
        except requests.RequestException as exc:
            raise DeliveryFailed(f"{self.name} {what}: no answer: {type(exc).__name__}", retryable=True) from exc

    def _url(self, sobject: str, record_id: str) -> str:
        return f"{self.settings.instance_url.rstrip('/')}/lightning/r/{sobject}/{record_id}/view"


def _datetime(when: datetime) -> str:
    """Salesforce's dateTime: ``2026-12-04T14:00:00.000Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _errors(content: Any) -> str:
    """Salesforce's error list (``[{errorCode, message, fields}]``) as one line."""
    if isinstance(content, bytes | str):
        try:
            content = json.loads(content)
        except ValueError:
            return str(content)[:300]
    if isinstance(content, list):
        return "; ".join(f"{e.get('errorCode', '?')}: {e.get('message', '')}" for e in content if isinstance(e, dict))
    return str(content)[:300]
