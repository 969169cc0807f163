"""The three CRM connectors against the vendors' fakes over HTTPS, through the real SDKs: the caller found by
phone, the wrap-up and the callback written in the documented shapes, once however often they are retried, and
every failure translated (a rejected field: a dead letter naming it; a rate limit or an outage: try again)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from callpilot.core.settings import HubSpotSettings, SalesforceSettings, ZendeskSettings
from callpilot.delivery.crm.base import Callback, CrmConnector, WrapUp
from callpilot.delivery.crm.hubspot import HubSpotConnector
from callpilot.delivery.crm.salesforce import SalesforceConnector
from callpilot.delivery.crm.zendesk import ZendeskConnector
from callpilot.delivery.errors import DeliveryFailed
from tests.delivery.crm.fake_base import FakeVendor
from tests.delivery.crm.fakes import FakeHubSpot, FakeSalesforce, FakeZendesk
from tests.delivery.crm.tls import SharedServer, ca_bundle

PHONE = "+1 (555) 010-0142"


@dataclass
class Vendor:
    """One CRM under test: its fake (seeded with Dana), a connector to it, and how to read what it stored."""

    fake: FakeVendor
    connector: CrmConnector
    customer_id: str
    stored: Callable[[], list[dict[str, Any]]]
    field: str  # a mapped field, to reject

    @property
    def name(self) -> str:
        return self.connector.name


def _salesforce(server: SharedServer, token: str | None = None) -> Vendor:
    fake = FakeSalesforce(custom_fields={"Task": ["Account_Number__c"]})
    fake.seed_contact("003000000000001AAA", "Dana Whitfield", "(555) 010-0142", account_id="001000000000001AAA")
    settings = SalesforceSettings(instance_url=server.serve(fake.app), access_token=SecretStr(token or fake.token),
                                  field_map={"account_number": "Account_Number__c"}, ca_bundle=ca_bundle())
    return Vendor(fake, SalesforceConnector(settings), "003000000000001AAA", lambda: fake.records("Task"),
                  "Account_Number__c")


def _hubspot(server: SharedServer, token: str | None = None) -> Vendor:
    fake = FakeHubSpot(custom_properties={"notes": ["callpilot_id"], "tasks": ["callpilot_id"],
                                          "contacts": ["account_number"]})
    fake.seed_contact("101", firstname="Dana", lastname="Whitfield", phone="+15550100142")
    settings = HubSpotSettings(access_token=SecretStr(token or fake.token), base_url=server.serve(fake.app),
                               contact_properties={"account_number": "account_number"}, ca_bundle=ca_bundle())
    return Vendor(fake, HubSpotConnector(settings), "101",
                  lambda: fake.records("notes") + fake.records("tasks"), "account_number")


def _zendesk(server: SharedServer, token: str | None = None) -> Vendor:
    fake = FakeZendesk(ticket_field_ids=[360001])
    fake.seed_user(501, "Dana Whitfield", phone="+15550100142")
    settings = ZendeskSettings(base_url=server.serve(fake.app), email=fake.email,
                               token=SecretStr(token or fake.token), custom_fields={"account_number": 360001},
                               ca_bundle=ca_bundle())
    return Vendor(fake, ZendeskConnector(settings), "501", fake.tickets, "custom_fields")


VENDORS = [pytest.param(_salesforce, id="salesforce"), pytest.param(_hubspot, id="hubspot"),
           pytest.param(_zendesk, id="zendesk")]
Make = Callable[..., Vendor]


def _wrapup(vendor: Vendor, key: str = "crm:17") -> WrapUp:
    return WrapUp(key=key, call_id="c-17", subject="Call: billing dispute (Escalated)",
                  body="- Issue: billing dispute\n- Done: refund submitted\n\nDisposition: Escalated",
                  disposition="Escalated", intent="billing_dispute", resolution="escalated",
                  fields={"account_number": "4417"}, agent_id="a1", duration_seconds=312.4,
                  customer_record_id=vendor.customer_id, customer_phone=PHONE,
                  started_at=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize("make", VENDORS)
def test_the_caller_is_found_by_phone(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    record, matches = vendor.connector.find_customer(PHONE if vendor.name == "salesforce" else "+15550100142")
    assert record is not None and matches == 1
    assert record.record_id == vendor.customer_id and record.name == "Dana Whitfield"
    assert vendor.connector.find_customer("+15559990000") == (None, 0)


@pytest.mark.parametrize("make", VENDORS)
def test_the_wrap_up_is_written_once_however_often_it_is_sent(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    first = vendor.connector.record_call(_wrapup(vendor))
    again = vendor.connector.record_call(_wrapup(vendor))  # a retry after a crash: the same key
    assert first == again
    [stored] = vendor.stored()
    text = str(stored)
    assert "billing dispute" in text and "refund submitted" in text
    assert ("4417" in text) is (vendor.name != "hubspot")  # the mapped field (HubSpot's is on the contact)
    assert vendor.customer_id in text  # on the customer's record
    vendor.connector.record_call(_wrapup(vendor, key="crm:18"))  # another event: another record
    assert len(vendor.stored()) == 2


def test_salesforce_logs_a_completed_call_on_the_contact(crm_server: SharedServer) -> None:
    vendor = _salesforce(crm_server)
    vendor.connector.record_call(_wrapup(vendor))
    [task] = vendor.stored()
    assert task["Callpilot_Id__c"] == "crm-17" and task["TaskSubtype"] == "Call" and task["Status"] == "Completed"
    assert task["WhoId"] == vendor.customer_id and task["CallDurationInSeconds"] == 312
    assert task["CallDisposition"] == "Escalated" and task["Account_Number__c"] == "4417"


def test_hubspot_notes_the_contact_and_writes_its_properties(crm_server: SharedServer) -> None:
    vendor = _hubspot(crm_server)
    vendor.connector.record_call(_wrapup(vendor))
    [note] = vendor.stored()
    assert note["properties"]["callpilot_id"] == "crm:17" and note["associations"] == [("101", 202)]
    assert "refund submitted" in note["properties"]["hs_note_body"]
    fake = vendor.fake
    assert isinstance(fake, FakeHubSpot)
    [contact] = [c for c in fake.records("contacts") if c["id"] == "101"]
    assert contact["properties"]["account_number"] == "4417"


def test_zendesk_opens_a_ticket_with_a_private_note(crm_server: SharedServer) -> None:
    vendor = _zendesk(crm_server)
    vendor.connector.record_call(_wrapup(vendor))
    [ticket] = vendor.stored()
    assert ticket["external_id"] == "crm:17" and ticket["requester_id"] == 501
    assert "callpilot" in ticket["tags"] and "escalated" in ticket["tags"]
    assert ticket["comments"][0]["public"] is False and "refund submitted" in ticket["comments"][0]["body"]
    assert ticket["custom_fields"] == [{"id": 360001, "value": "4417"}]


@pytest.mark.parametrize("make", VENDORS)
def test_a_callback_becomes_a_task_due_at_its_time(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    due = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    callback = Callback(key="crm:21", call_id="c-17", due_at=due, subject="Call back the customer",
                        body="call ended with the customer negative", priority="high",
                        customer_record_id=vendor.customer_id)
    first = vendor.connector.schedule_callback(callback)
    assert vendor.connector.schedule_callback(callback) == first  # once
    [task] = vendor.stored()
    text = str(task)
    assert "Call back the customer" in text
    if vendor.name == "salesforce":
        assert task["ActivityDate"] == "2026-12-04" and task["Priority"] == "High" and task["IsReminderSet"]
    elif vendor.name == "hubspot":
        assert task["properties"]["hs_task_type"] == "CALL" and task["associations"] == [("101", 204)]
        assert task["properties"]["hs_timestamp"] == str(int(due.timestamp() * 1000))
    else:
        assert task["type"] == "task" and task["priority"] == "high" and task["due_at"].startswith("2026-12-04T14")


@pytest.mark.parametrize("make", VENDORS)
def test_a_rejected_field_is_a_dead_letter_naming_it(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    vendor.fake.reject_field(vendor.field)
    with pytest.raises(DeliveryFailed) as failed:
        vendor.connector.record_call(_wrapup(vendor))
    assert failed.value.retryable is False and failed.value.status in (400, 422)
    assert vendor.field in str(failed.value) or "360001" in str(failed.value)
    assert str(failed.value).startswith(vendor.name)


@pytest.mark.parametrize("make", VENDORS)
def test_a_rate_limit_is_tried_again_when_the_crm_says(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    vendor.fake.rate_limit(1, retry_after=7)
    with pytest.raises(DeliveryFailed) as failed:
        vendor.connector.record_call(_wrapup(vendor))
    assert failed.value.retryable is True
    if vendor.name == "salesforce":  # Salesforce's limit is a 403 REQUEST_LIMIT_EXCEEDED, without Retry-After
        assert failed.value.status == 403 and "REQUEST_LIMIT_EXCEEDED" in str(failed.value)
    else:
        assert failed.value.status == 429 and failed.value.retry_after == 7
    vendor.connector.record_call(_wrapup(vendor))  # and then it goes through
    assert len(vendor.stored()) == 1


@pytest.mark.parametrize("make", VENDORS)
def test_an_outage_is_tried_again(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server)
    vendor.fake.down(1)
    with pytest.raises(DeliveryFailed) as failed:
        vendor.connector.find_customer("+15550100142")
    assert failed.value.retryable is True and failed.value.status == 503


@pytest.mark.parametrize("make", VENDORS)
def test_a_refused_token_is_not_tried_again(crm_server: SharedServer, make: Make) -> None:
    vendor = make(crm_server, token="wrong-token")
    with pytest.raises(DeliveryFailed) as failed:
        vendor.connector.record_call(_wrapup(vendor))
    assert failed.value.retryable is False and failed.value.status == 401


@pytest.mark.parametrize("make", VENDORS)
def test_a_crm_that_is_not_there_is_tried_again(make: Make) -> None:
    class Nowhere:
        def serve(self, app: object) -> str:
            return "https://127.0.0.1:9"

    vendor = make(Nowhere())
    with pytest.raises(DeliveryFailed, match="no answer") as failed:
        vendor.connector.find_customer("+15550100142")
    assert failed.value.retryable is True
