"""The CRM fakes driven by the real SDKs over HTTPS: what works, and what each SDK raises when the vendor says no.

These tests double as the reference for connector authors: each one is the SDK call a connector makes and the
exception (and the place of its status and Retry-After) it must handle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import hubspot
import pytest
import requests
import simple_salesforce.exceptions as sf_errors
from hubspot.crm import companies as hs_companies
from hubspot.crm import contacts as hs_contacts
from hubspot.crm.objects import notes as hs_notes
from hubspot.crm.objects import tasks as hs_tasks
from simple_salesforce import Salesforce
from urllib3.util.retry import Retry
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, CustomField, Ticket
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded

from tests.delivery.crm.fakes import FakeHubSpot, FakeSalesforce, FakeZendesk
from tests.delivery.crm.tls import SharedServer, ca_bundle

CONTACT_ID = "003000000000001AAA"
PHONE = "+1 (555) 010-2000"


def verified_session() -> requests.Session:
    session = requests.Session()
    session.verify = ca_bundle()
    return session


# -- Salesforce (simple-salesforce) ------------------------------------------------------------------------------

def salesforce_client(base_url: str, token: str, version: str = "59.0",
                      session: requests.Session | None = None) -> Salesforce:
    return Salesforce(instance_url=base_url, session_id=token, session=session or verified_session(), version=version)


@pytest.fixture
def sf(crm_server: SharedServer) -> tuple[FakeSalesforce, Salesforce]:
    fake = FakeSalesforce()
    fake.seed_contact(CONTACT_ID, "Ann Lee", PHONE, account_id="001000000000001AAA")
    fake.seed_contact("003000000000002AAA", "Bo Chen", None, mobile_phone="+44 20 7946 0018")
    return fake, salesforce_client(crm_server.serve(fake.app), fake.token)


@pytest.mark.parametrize(("term", "expected"), [
    ("5550102000", [CONTACT_ID]),
    ("15550102000", [CONTACT_ID]),
    (r"\+1 555\-010\-2000", [CONTACT_ID]),  # reserved SOSL characters escaped
    ("2079460018", ["003000000000002AAA"]),  # MobilePhone
    ("5559999999", []),
])
def test_salesforce_sosl_phone_search(sf: tuple[FakeSalesforce, Salesforce], term: str, expected: list[str]) -> None:
    fake, client = sf
    result = client.search(f"FIND {{{term}}} IN PHONE FIELDS RETURNING Contact(Id, Name, AccountId)")
    assert [r["Id"] for r in result["searchRecords"]] == expected
    assert all(r["attributes"]["type"] == "Contact" and set(r) == {"attributes", "Id", "Name", "AccountId"}
               for r in result["searchRecords"])
    assert fake.requests[-1].path == "/services/data/v59.0/search/"


@pytest.mark.parametrize(("query", "error_code"), [
    ("FIND {+15550102000} IN PHONE FIELDS RETURNING Contact(Id)", "MALFORMED_SEARCH"),  # + not escaped
    ("FIND {5550102000} IN ALL FIELDS RETURNING Contact(Id)", "MALFORMED_SEARCH"),
    ("SELECT Id FROM Contact WHERE Phone = '5550102000'", "MALFORMED_SEARCH"),
    ("FIND {5550102000} IN PHONE FIELDS RETURNING Contact(Id, Fax__x)", "INVALID_FIELD"),
])
def test_salesforce_search_rejects_what_is_not_a_phone_sosl(sf: tuple[FakeSalesforce, Salesforce], query: str,
                                                            error_code: str) -> None:
    with pytest.raises(sf_errors.SalesforceMalformedRequest) as caught:
        sf[1].search(query)
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == error_code


def test_salesforce_upsert_by_external_id_creates_then_updates(sf: tuple[FakeSalesforce, Salesforce]) -> None:
    fake, client = sf
    task = {"Subject": "Call", "WhoId": CONTACT_ID, "ActivityDate": "2024-05-01", "TaskSubtype": "Call",
            "CallType": "Inbound", "CallDurationInSeconds": 95, "Status": "Completed"}
    created = client.Task.upsert("Callpilot_Id__c/call-1", task, raw_response=True)
    updated = client.Task.upsert("Callpilot_Id__c/call-1", {"Description": "summary"}, raw_response=True)
    assert (created.status_code, created.json()["created"]) == (201, True)
    assert (updated.status_code, updated.json()) == (200, {"id": created.json()["id"], "success": True,
                                                           "errors": [], "created": False})
    assert fake.records("Task") == [{"Id": created.json()["id"], **task, "Description": "summary",
                                     "Callpilot_Id__c": "call-1"}]
    assert client.Case.create({"Subject": "Callback", "ContactId": CONTACT_ID})["id"].startswith("500")


def test_salesforce_upsert_before_v46_answers_204_for_an_update(crm_server: SharedServer) -> None:
    fake = FakeSalesforce(version="45.0")
    client = salesforce_client(crm_server.serve(fake.app), fake.token, version="45.0")
    assert [client.Task.upsert("Callpilot_Id__c/call-1", {"Subject": "Call"}) for _ in range(2)] == [201, 204]


@pytest.mark.parametrize(("write", "error", "status", "error_code", "fields"), [
    (lambda c: c.Task.upsert("Callpilot_Id__c/x", {"Subjekt": "typo"}),
     sf_errors.SalesforceMalformedRequest, 400, "INVALID_FIELD", ["Subjekt"]),
    (lambda c: c.Task.create({"Subject": "s", "CallDisposition": "x"}),  # reject_field below
     sf_errors.SalesforceMalformedRequest, 400, "INVALID_FIELD", ["CallDisposition"]),
    (lambda c: c.Task.upsert("Callpilot_Id__c/x", {"ActivityDate": "2024-05-01T10:00:00Z"}),
     sf_errors.SalesforceMalformedRequest, 400, "JSON_PARSER_ERROR", None),
    (lambda c: c.Task.upsert("Callpilot_Id__c/x", {"WhoId": "+15550102000"}),
     sf_errors.SalesforceMalformedRequest, 400, "MALFORMED_ID", ["WhoId"]),
    (lambda c: c.Task.upsert("Callpilot_Id__c/x", {"CallType": "inbound"}),
     sf_errors.SalesforceMalformedRequest, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["CallType"]),
    (lambda c: c.Task.upsert("External_Id__c/x", {"Subject": "s"}),
     sf_errors.SalesforceResourceNotFound, 404, "NOT_FOUND", None),
    (lambda c: c.Event.create({"Subject": "s"}), sf_errors.SalesforceResourceNotFound, 404, "NOT_FOUND", None),
], ids=["unknown-field", "rejected-field", "datetime-as-date", "phone-as-id", "picklist-case", "no-such-external-id",
        "unsupported-sobject"])
def test_salesforce_write_errors(sf: tuple[FakeSalesforce, Salesforce], write: Callable[[Salesforce], Any],
                                 error: type[Exception], status: int, error_code: str,
                                 fields: list[str] | None) -> None:
    fake, client = sf
    fake.reject_field("CallDisposition")
    with pytest.raises(error) as caught:
        write(client)
    assert isinstance(caught.value, sf_errors.SalesforceError)
    assert caught.value.status == status
    assert caught.value.content[0]["errorCode"] == error_code
    assert caught.value.content[0].get("fields") == fields
    assert fake.records("Task") == []


@pytest.mark.parametrize(("make_client", "error", "status", "error_code"), [
    (lambda base, fake: salesforce_client(base, "wrong"), sf_errors.SalesforceExpiredSession, 401,
     "INVALID_SESSION_ID"),
    (lambda base, fake: salesforce_client(base, fake.token, version="58.0"), sf_errors.SalesforceResourceNotFound,
     404, "NOT_FOUND"),
])
def test_salesforce_auth_and_unknown_path(crm_server: SharedServer, make_client: Any, error: type[Exception],
                                          status: int, error_code: str) -> None:
    fake = FakeSalesforce()
    client = make_client(crm_server.serve(fake.app), fake)
    with pytest.raises(error) as caught:
        client.Task.create({"Subject": "s"})
    assert (caught.value.status, caught.value.content[0]["errorCode"]) == (status, error_code)


def test_salesforce_api_limit_is_403_and_headers_need_a_session_hook(crm_server: SharedServer) -> None:
    fake = FakeSalesforce()
    session, seen = verified_session(), []
    # simple-salesforce's exceptions keep url, status, resource_name and the parsed body, never the headers.
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.headers))
    client = salesforce_client(crm_server.serve(fake.app), fake.token, session=session)
    fake.rate_limit(1, retry_after=30)
    with pytest.raises(sf_errors.SalesforceRefusedRequest) as caught:
        client.Task.create({"Subject": "s"})
    assert (caught.value.status, caught.value.content[0]["errorCode"]) == (403, "REQUEST_LIMIT_EXCEEDED")
    assert not hasattr(caught.value, "headers") and not hasattr(caught.value, "response")
    assert seen[-1]["Retry-After"] == "30"
    fake.down(1)
    with pytest.raises(sf_errors.SalesforceGeneralError) as unavailable:
        client.Task.create({"Subject": "s"})
    assert unavailable.value.status == 503
    assert client.Task.create({"Subject": "s"})["success"] is True


# -- HubSpot (hubspot-api-client) --------------------------------------------------------------------------------

# Each API package generates its own ApiException (see test_hubspot_exceptions_are_per_package).
HUBSPOT_API_ERRORS = (hs_contacts.ApiException, hs_notes.ApiException, hs_tasks.ApiException,
                      hs_companies.ApiException)


def hubspot_client(base_url: str, token: str, **kwargs: Any) -> hubspot.HubSpot:
    return hubspot.HubSpot(access_token=token, host=base_url, ssl_ca_cert=ca_bundle(), **kwargs)


@pytest.fixture
def hs(crm_server: SharedServer) -> tuple[FakeHubSpot, hubspot.HubSpot]:
    fake = FakeHubSpot()
    fake.seed_contact("101", firstname="Ann", lastname="Lee", phone=PHONE)
    fake.seed_contact("102", firstname="Bo", lastname="Chen", mobilephone="+44 20 7946 0018")
    return fake, hubspot_client(crm_server.serve(fake.app), fake.token)


def phone_search(number: str) -> hs_contacts.PublicObjectSearchRequest:
    groups = [hs_contacts.FilterGroup(filters=[hs_contacts.Filter(property_name=name, operator="EQ", value=number)])
              for name in ("phone", "mobilephone")]  # two groups: phone OR mobilephone
    return hs_contacts.PublicObjectSearchRequest(filter_groups=groups, properties=["firstname", "phone"], limit=5)


@pytest.mark.parametrize(("number", "expected"), [
    ("5550102000", ["101"]), ("+15550102000", ["101"]), ("+442079460018", ["102"]), ("5559999999", []),
])
def test_hubspot_contact_search_by_phone(hs: tuple[FakeHubSpot, hubspot.HubSpot], number: str,
                                         expected: list[str]) -> None:
    page = hs[1].crm.contacts.search_api.do_search(public_object_search_request=phone_search(number))
    assert (page.total, [contact.id for contact in page.results]) == (len(expected), expected)
    assert all({"firstname", "phone", "hs_object_id"} <= set(contact.properties) for contact in page.results)


def note_input(callpilot_id: str, **properties: str) -> hs_notes.SimplePublicObjectInputForCreate:
    association = hs_notes.PublicAssociationsForObject(to=hs_notes.PublicObjectId(id="101"), types=[
        hs_notes.AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=202)])
    return hs_notes.SimplePublicObjectInputForCreate(associations=[association], properties={
        "hs_timestamp": "2024-05-01T10:00:00.000Z", "hs_note_body": "<p>Summary</p>", "callpilot_id": callpilot_id,
        **properties})


def test_hubspot_note_is_found_again_by_its_callpilot_id(hs: tuple[FakeHubSpot, hubspot.HubSpot]) -> None:
    fake, client = hs
    find = hs_notes.PublicObjectSearchRequest(limit=1, filter_groups=[hs_notes.FilterGroup(filters=[
        hs_notes.Filter(property_name="callpilot_id", operator="EQ", value="call-1")])])
    assert client.crm.objects.notes.search_api.do_search(public_object_search_request=find).total == 0
    note = client.crm.objects.notes.basic_api.create(simple_public_object_input_for_create=note_input("call-1"))
    again = client.crm.objects.notes.search_api.do_search(public_object_search_request=find)
    assert [n.id for n in again.results] == [note.id]
    assert fake.requests[1].json == {"properties": {"hs_timestamp": "2024-05-01T10:00:00.000Z",
                                                    "hs_note_body": "<p>Summary</p>", "callpilot_id": "call-1"},
                                     "associations": [{"to": {"id": "101"}, "types": [
                                         {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}]}
    assert fake.records("notes")[0]["associations"] == [("101", 202)]


def test_hubspot_task_and_contact_update(hs: tuple[FakeHubSpot, hubspot.HubSpot]) -> None:
    fake, client = hs
    task = client.crm.objects.tasks.basic_api.create(simple_public_object_input_for_create=(
        hs_tasks.SimplePublicObjectInputForCreate(properties={
            "hs_timestamp": "1714557600000", "hs_task_subject": "Call back", "hs_task_body": "Refund",
            "hs_task_status": "NOT_STARTED", "hs_task_priority": "HIGH", "hs_task_type": "CALL"},
            associations=[hs_tasks.PublicAssociationsForObject(to=hs_tasks.PublicObjectId(id="101"), types=[
                hs_tasks.AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=204)])])))
    contact = client.crm.contacts.basic_api.update(contact_id="101", simple_public_object_input=(
        hs_contacts.SimplePublicObjectInput(properties={"hs_lead_status": "CONNECTED"})))
    assert task.properties["hs_task_status"] == "NOT_STARTED"
    assert contact.properties["hs_lead_status"] == "CONNECTED"
    assert fake.records("tasks")[0]["associations"] == [("101", 204)]


def _raw_search(client: hubspot.HubSpot, operator: str) -> Any:
    # A dict body skips the SDK's client-side operator check, as a hand-built request would.
    body = {"filterGroups": [{"filters": [{"propertyName": "phone", "operator": operator, "value": "1"}]}]}
    return client.crm.contacts.search_api.do_search(public_object_search_request=body)


def _create_note(client: hubspot.HubSpot, note: hs_notes.SimplePublicObjectInputForCreate) -> Any:
    return client.crm.objects.notes.basic_api.create(simple_public_object_input_for_create=note)


def _create_task(client: hubspot.HubSpot, properties: dict[str, str], association_type_id: int | None = None) -> Any:
    associations = [] if association_type_id is None else [hs_tasks.PublicAssociationsForObject(
        to=hs_tasks.PublicObjectId(id="101"), types=[hs_tasks.AssociationSpec(
            association_category="HUBSPOT_DEFINED", association_type_id=association_type_id)])]
    return client.crm.objects.tasks.basic_api.create(simple_public_object_input_for_create=(
        hs_tasks.SimplePublicObjectInputForCreate(properties=properties, associations=associations)))


@pytest.mark.parametrize(("call", "status", "category", "code", "fragment"), [
    (lambda c: _create_note(c, note_input("c", hs_note_bodyy="typo")), 400, "VALIDATION_ERROR",
     "PROPERTY_DOESNT_EXIST", 'Property "hs_note_bodyy" does not exist'),
    (lambda c: _create_note(c, note_input("c", hubspot_owner_id="7")), 400, "VALIDATION_ERROR",
     "PROPERTY_DOESNT_EXIST", "hubspot_owner_id"),  # reject_field below
    (lambda c: _create_note(c, hs_notes.SimplePublicObjectInputForCreate(properties={"hs_note_body": "no time"})),
     400, "VALIDATION_ERROR", "REQUIRED_PROPERTY", "hs_timestamp"),
    (lambda c: _create_task(c, {"hs_timestamp": "1", "hs_task_status": "OPEN"}), 400, "VALIDATION_ERROR",
     "INVALID_OPTION", "OPEN was not one of the allowed options"),
    (lambda c: _create_task(c, {"hs_timestamp": "1"}, association_type_id=202), 400, "VALIDATION_ERROR", None,
     "association type 202 does not exist from tasks"),  # 202 is note->contact; a task needs 204
    (lambda c: _raw_search(c, "EQUALS"), 400, "VALIDATION_ERROR", None, "operator 'EQUALS' is not one of"),
    (lambda c: c.crm.contacts.basic_api.update(contact_id="999", simple_public_object_input=(
        hs_contacts.SimplePublicObjectInput(properties={"firstname": "x"}))), 404, "OBJECT_NOT_FOUND", None,
     "resource not found"),
    (lambda c: c.crm.companies.basic_api.get_page(), 404, "OBJECT_NOT_FOUND", None, "resource not found"),
], ids=["unknown-property", "rejected-property", "missing-hs_timestamp", "bad-option", "wrong-association-type",
        "bad-operator", "unknown-contact", "unknown-path"])
def test_hubspot_errors(hs: tuple[FakeHubSpot, hubspot.HubSpot], call: Callable[[hubspot.HubSpot], Any],
                        status: int, category: str, code: str | None, fragment: str) -> None:
    fake, client = hs
    fake.reject_field("hubspot_owner_id")
    with pytest.raises(HUBSPOT_API_ERRORS) as caught:
        call(client)
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["status"], body["category"]) == (status, "error", category)
    assert body["correlationId"] and any(fragment in text for text in [
        body["message"], *(error["message"] for error in body.get("errors", []))])
    if code is not None:  # the SDK's Error model: errors[].code and errors[].context.propertyName
        assert [(e["code"], len(e["context"]["propertyName"])) for e in body["errors"]] == [(code, 1)]
    assert fake.records("notes") == [] and fake.records("tasks") == []


def test_hubspot_exceptions_are_per_package() -> None:
    # A connector catching hubspot.crm.contacts.ApiException will not catch a notes or tasks failure.
    assert not issubclass(hs_notes.ApiException, hs_contacts.ApiException)
    assert not issubclass(hs_tasks.ApiException, hs_notes.ApiException)


def test_hubspot_wrong_token_is_401(crm_server: SharedServer) -> None:
    fake = FakeHubSpot()
    with pytest.raises(hs_contacts.exceptions.UnauthorizedException) as caught:
        hubspot_client(crm_server.serve(fake.app), "wrong").crm.contacts.search_api.do_search(
            public_object_search_request=phone_search("5550102000"))
    assert caught.value.status == 401 and json.loads(caught.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_hubspot_429_on_post_is_raised_at_once_with_retry_after(hs: tuple[FakeHubSpot, hubspot.HubSpot]) -> None:
    fake, client = hs
    fake.rate_limit(1, retry_after=7)
    with pytest.raises(hs_contacts.ApiException) as caught:
        client.crm.contacts.search_api.do_search(public_object_search_request=phone_search("5550102000"))
    assert (caught.value.status, caught.value.headers["Retry-After"]) == (429, "7")
    assert json.loads(caught.value.body)["errorType"] == "RATE_LIMIT"
    assert len(fake.requests) == 1  # urllib3 never retries a POST
    fake.down(1)
    with pytest.raises(hs_contacts.exceptions.ServiceException) as unavailable:
        client.crm.contacts.search_api.do_search(public_object_search_request=phone_search("5550102000"))
    assert unavailable.value.status == 503


@pytest.mark.parametrize(("retry", "faults", "requests_made", "succeeds"), [
    (None, 2, 3, True),  # the SDK's default: urllib3's Retry(3) sleeps Retry-After and retries a GET, silently
    (None, 5, 4, False),  # ... three times, then the 429 surfaces
    (Retry(total=0), 1, 1, False),
    (Retry(total=3, respect_retry_after_header=False), 1, 1, False),  # keeps connection retries, not 429 ones
], ids=["default-recovers", "default-gives-up", "Retry(total=0)", "respect_retry_after_header=False"])
def test_hubspot_get_retries_429_unless_told_not_to(crm_server: SharedServer, retry: Retry | None,
                                                    faults: int, requests_made: int, succeeds: bool) -> None:
    fake = FakeHubSpot()
    fake.seed_contact("101", phone=PHONE)
    client = hubspot_client(crm_server.serve(fake.app), fake.token, **({"retry": retry} if retry else {}))
    fake.rate_limit(faults, retry_after=0)
    try:
        outcome: object = client.crm.contacts.basic_api.get_by_id(contact_id="101", properties=["phone"]).id
    except hs_contacts.ApiException as exc:
        outcome = exc.status
    assert (outcome, len(fake.requests)) == ("101" if succeeds else 429, requests_made)


# -- Zendesk (zenpy) ---------------------------------------------------------------------------------------------

def zendesk_client(base_url: str, email: str, token: str, session: requests.Session | None = None,
                   **kwargs: Any) -> Zenpy:
    # zenpy builds https://{subdomain}.{domain}/api/v2/..., so "127" + "0.0.1:PORT" gives https://127.0.0.1:PORT.
    host, port = base_url.removeprefix("https://").split(":")
    subdomain, _, domain = host.partition(".")
    return Zenpy(subdomain=subdomain, domain=f"{domain}:{port}", email=email, token=token,
                 session=session or verified_session(), **kwargs)


@pytest.fixture
def zd(crm_server: SharedServer) -> tuple[FakeZendesk, Zenpy]:
    fake = FakeZendesk(ticket_field_ids=[360001])
    fake.seed_user(501, "Ann Lee", phone="+15550102000", email="ann@example.com")
    return fake, zendesk_client(crm_server.serve(fake.app), fake.email, fake.token)


@pytest.mark.parametrize(("lookup", "path"), [
    (lambda z: z.users.search(query="5550102000"), "/api/v2/users/search.json"),
    (lambda z: z.search(type="user", phone="+15550102000"), "/api/v2/search.json"),
    (lambda z: z.search(type="user", phone="+1 555 010 2000"), "/api/v2/search.json"),  # zenpy quotes spaces
])
def test_zendesk_user_lookup_by_phone(zd: tuple[FakeZendesk, Zenpy], lookup: Callable[[Zenpy], Any],
                                      path: str) -> None:
    fake, client = zd
    assert [user.id for user in lookup(client)] == [501]
    assert fake.requests[-1].path == path


def new_ticket(external_id: str, **attributes: Any) -> Ticket:
    defaults: dict[str, Any] = {
        "subject": "Call with Ann", "comment": Comment(body="Summary", public=False), "requester_id": 501,
        "tags": ["callpilot"], "custom_fields": [CustomField(id=360001, value="billing")], "type": "task",
        "due_at": "2024-05-02T09:00:00Z", "priority": "normal"}
    return Ticket(external_id=external_id, **{**defaults, **attributes})


def test_zendesk_ticket_create_find_and_comment(zd: tuple[FakeZendesk, Zenpy]) -> None:
    fake, client = zd
    assert list(client.tickets(external_id="call-1")) == []
    created = client.tickets.create(new_ticket("call-1"))  # a TicketAudit: .ticket and .audit
    assert [t.id for t in client.tickets(external_id="call-1")] == [created.ticket.id]
    ticket = client.tickets(id=created.ticket.id)
    ticket.comment = Comment(body="Follow-up", public=False)
    client.tickets.update(ticket)
    assert fake.requests[-1].json == {"ticket": {"id": created.ticket.id,
                                                 "comment": {"body": "Follow-up", "public": False}}}
    [stored] = fake.tickets()
    assert (stored["external_id"], stored["type"], [c["body"] for c in stored["comments"]]) == (
        "call-1", "task", ["Summary", "Follow-up"])


@pytest.mark.parametrize(("ticket", "status", "detail"), [
    (new_ticket("x", custom_fields=[CustomField(id=999, value=1)]), 422, "custom_fields"),
    (new_ticket("x", priority="medium"), 422, "priority"),
    (new_ticket("x", due_at="tomorrow"), 422, "due_at"),
    (Ticket(subject="no comment", requester_id=501), 422, "description"),
    (new_ticket("x", due_date="2024-05-02"), 400, None),  # not a ticket attribute (due_at is)
    (new_ticket("x", problem_id=1), 422, "problem_id"),  # reject_field below
], ids=["unknown-custom-field", "bad-priority", "bad-due_at", "no-comment", "unknown-attribute", "rejected-field"])
def test_zendesk_ticket_errors(zd: tuple[FakeZendesk, Zenpy], ticket: Ticket, status: int,
                               detail: str | None) -> None:
    fake, client = zd
    fake.reject_field("problem_id")
    with pytest.raises(APIException) as caught:
        client.tickets.create(ticket)
    body = json.loads(str(caught.value))  # zenpy's message is the response body
    assert caught.value.response.status_code == status
    if detail is not None:
        assert (body["error"], body["description"]) == ("RecordInvalid", "Record validation errors")
        assert list(body["details"]) == [detail] and body["details"][detail][0]["description"]
    assert fake.tickets() == []


@pytest.mark.parametrize(("call", "status", "error"), [
    (lambda z: z.users.search(query="5550102000"), 401, "Couldn't authenticate you"),
    (lambda z: list(z.organizations()), 404, "InvalidEndpoint"),
])
def test_zendesk_auth_and_unknown_path(crm_server: SharedServer, call: Callable[[Zenpy], Any], status: int,
                                       error: str) -> None:
    fake = FakeZendesk()
    token = "wrong" if status == 401 else fake.token
    with pytest.raises(APIException) as caught:
        call(zendesk_client(crm_server.serve(fake.app), fake.email, token))
    assert caught.value.response.status_code == status and json.loads(str(caught.value))["error"] == error


def test_zendesk_429_by_default_sleeps_retry_after_then_retries(zd: tuple[FakeZendesk, Zenpy]) -> None:
    fake, client = zd
    fake.rate_limit(1, retry_after=1)
    started = time.monotonic()
    assert [user.id for user in client.users.search(query="5550102000")] == [501]
    assert time.monotonic() - started >= 1 and len(fake.requests) == 2


def _raise_on_429(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    if response.status_code == 429:  # before zenpy sees it, so zenpy's sleep-and-retry loop never runs
        _ = response.content  # hooks run before requests reads the body; read it so the connection is released
        response.raise_for_status()


@pytest.mark.parametrize(("how", "retry_after", "error", "status"), [
    ("ratelimit_budget=1", 30, RatelimitBudgetExceeded, None),  # raises at once; the response is lost
    ("session hook", 30, requests.HTTPError, 429),  # raises at once; the response comes along
    ("no Retry-After", None, requests.HTTPError, 429),  # 429 is text/plain: HTTPError, not APIException
    ("down", None, requests.HTTPError, 503),
])
def test_zendesk_429_without_sleeping(crm_server: SharedServer, how: str, retry_after: int | None,
                                      error: type[Exception], status: int | None) -> None:
    fake = FakeZendesk()
    fake.seed_user(501, "Ann Lee", phone="+15550102000")
    session = verified_session()
    if how == "session hook":
        session.hooks["response"].append(_raise_on_429)
    client = zendesk_client(crm_server.serve(fake.app), fake.email, fake.token, session=session,
                            **({"ratelimit_budget": 1} if how == "ratelimit_budget=1" else {}))
    if how == "down":
        fake.down(1)
    else:
        fake.rate_limit(1, retry_after)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        client.users.search(query="5550102000")
    assert time.monotonic() - started < 5 and len(fake.requests) == 1  # nowhere near the 30 s Retry-After
    response = getattr(caught.value, "response", None)
    assert (response.status_code if response is not None else None) == status
    if how == "session hook":
        assert response is not None and response.headers["Retry-After"] == "30"
    assert [user.id for user in client.users.search(query="5550102000")] == [501]
