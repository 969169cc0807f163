"""HubSpot through its official SDK, ``hubspot-api-client`` (CRM v3).

- **Lookup:** a contact search on ``phone`` or ``mobilephone``.
- **Wrap-up:** a note on the contact (association type 202), and the mapped contact properties
  (``contact_properties``) written on it.
- **Callback:** a task (``hs_task_type=CALL``, association type 204) due at the callback's time.
- **Idempotence:** notes and tasks carry the outbox message id in a unique custom property (``dedupe_property``,
  which the portal adds to notes and tasks); a delivery first searches for it, so a retry finds the note it
  made instead of adding one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import Filter as ContactFilter
from hubspot.crm.contacts import FilterGroup as ContactFilterGroup
from hubspot.crm.contacts import PublicObjectSearchRequest as ContactSearch
from hubspot.crm.contacts import SimplePublicObjectInput as ContactInput
from hubspot.crm.objects.notes import ApiException as NotesError
from hubspot.crm.objects.notes import Filter as NoteFilter
from hubspot.crm.objects.notes import FilterGroup as NoteFilterGroup
from hubspot.crm.objects.notes import PublicObjectSearchRequest as NoteSearch
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteInput
from hubspot.crm.objects.tasks import ApiException as TasksError
from hubspot.crm.objects.tasks import Filter as TaskFilter
from hubspot.crm.objects.tasks import FilterGroup as TaskFilterGroup
from hubspot.crm.objects.tasks import PublicObjectSearchRequest as TaskSearch
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput

from callpilot.core.settings import HubSpotSettings
from callpilot.delivery.crm.base import Callback, CrmConnector, CustomerRecord, WrapUp
from callpilot.delivery.crm.http import failure
from callpilot.delivery.errors import DeliveryFailed

__all__ = ["HubSpotConnector"]

_NOTE_TO_CONTACT, _TASK_TO_CONTACT = 202, 204  # HubSpot-defined association types
_API_ERRORS = (ContactsError, NotesError, TasksError)


class HubSpotConnector(CrmConnector):
    name: ClassVar[str] = "hubspot"

    def __init__(self, settings: HubSpotSettings) -> None:
        self.settings = settings
        options: dict[str, Any] = {"access_token": settings.access_token.get_secret_value(),
                                   "host": settings.base_url.rstrip("/")}
        if settings.ca_bundle:
            options["ssl_ca_cert"] = settings.ca_bundle
        # no retries inside the SDK: the outbox retries, with its backoff and the CRM's Retry-After
        self.client = HubSpot(retry=urllib3.Retry(total=0, redirect=0, raise_on_status=False), **options)
        self.timeout = settings.timeout_seconds

    def find_customer(self, phone: str) -> tuple[CustomerRecord | None, int]:
        groups = [ContactFilterGroup(filters=[ContactFilter(property_name=p, operator="EQ", value=phone)])
                  for p in ("phone", "mobilephone")]
        found = self._call("contact lookup", self.client.crm.contacts.search_api.do_search,
                           public_object_search_request=ContactSearch(
                               filter_groups=groups, properties=["firstname", "lastname", "phone", "company"],
                               limit=5))
        if not found.results:
            return None, 0
        first = found.results[0]
        props = first.properties or {}
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p) or None
        return CustomerRecord(record_type="contact", record_id=str(first.id), name=name), int(found.total or 1)

    def record_call(self, wrapup: WrapUp) -> str:
        notes = self.client.crm.objects.notes
        existing = self._call("note search", notes.search_api.do_search, public_object_search_request=NoteSearch(
            filter_groups=[NoteFilterGroup(filters=[NoteFilter(property_name=self.settings.dedupe_property,
                                                               operator="EQ", value=wrapup.key)])], limit=1))
        if existing.results:
            note_id = str(existing.results[0].id)
        else:
            associations = ([_association(wrapup.customer_record_id, _NOTE_TO_CONTACT)]
                            if wrapup.customer_record_id else None)
            body = "<p>" + "<br>".join(_html(line) for line in [wrapup.subject, "", *wrapup.body.splitlines()]) + "</p>"
            created = self._call("note", notes.basic_api.create, simple_public_object_input_for_create=NoteInput(
                properties={"hs_timestamp": _ms(wrapup.started_at), "hs_note_body": body,
                            self.settings.dedupe_property: wrapup.key}, associations=associations))
            note_id = str(created.id)
        properties = {target: str(wrapup.fields[name]) for name, target in self.settings.contact_properties.items()
                      if name in wrapup.fields}
        if properties and wrapup.customer_record_id:
            self._call("contact properties", self.client.crm.contacts.basic_api.update,
                       contact_id=wrapup.customer_record_id,
                       simple_public_object_input=ContactInput(properties=properties))
        return note_id

    def schedule_callback(self, callback: Callback) -> str:
        tasks = self.client.crm.objects.tasks
        existing = self._call("task search", tasks.search_api.do_search, public_object_search_request=TaskSearch(
            filter_groups=[TaskFilterGroup(filters=[TaskFilter(property_name=self.settings.dedupe_property,
                                                               operator="EQ", value=callback.key)])], limit=1))
        if existing.results:
            return str(existing.results[0].id)
        associations = ([_association(callback.customer_record_id, _TASK_TO_CONTACT)]
                        if callback.customer_record_id else None)
        created = self._call("task", tasks.basic_api.create, simple_public_object_input_for_create=TaskInput(
            properties={"hs_timestamp": _ms(callback.due_at), "hs_task_subject": callback.subject,
                        "hs_task_body": callback.body, "hs_task_status": "NOT_STARTED",
                        "hs_task_priority": {"high": "HIGH", "low": "LOW"}.get(callback.priority, "MEDIUM"),
                        "hs_task_type": "CALL", self.settings.dedupe_property: callback.key},
            associations=associations))
        return str(created.id)

    def _call(self, what: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(_request_timeout=self.timeout, **kwargs)
        except _API_ERRORS as exc:
            raise failure(self.name, what, exc.status, _message(exc.body), dict(exc.headers or {})) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise DeliveryFailed(f"{self.name} {what}: no answer: {type(exc).__name__}", retryable=True) from exc


def _association(record_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": record_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _ms(when: datetime | None) -> str:
    """HubSpot's ``hs_timestamp``: milliseconds since the epoch, as a string."""
    return str(int((when or datetime.now(UTC)).timestamp() * 1000))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _message(body: Any) -> str:
    """HubSpot's error body: its message, and each error's (``PROPERTY_DOESNT_EXIST``: the property named)."""
    try:
        data = json.loads(body) if isinstance(body, bytes | str) else {}
    except ValueError:
        return str(body)[:300]
    errors = [f"{e.get('code', '')}: {e.get('message', '')}".strip(": ") for e in data.get("errors") or []]
    return "; ".join([data.get("message", ""), *errors]).strip("; ")[:400]
