"""FakeSalesforce: the REST API calls a connector makes through simple-salesforce, checked as the reference documents.

Documented behaviour it reproduces (REST API Developer Guide, "Status Codes and Error Responses", "Insert or Update
(Upsert) a Record Using an External ID", the SOSL reference and the Task/Case object reference):
- errors are a JSON array of {"message", "errorCode"[, "fields"]};
- 401 INVALID_SESSION_ID for a bad bearer token;
- API-limit exhaustion is 403 REQUEST_LIMIT_EXCEEDED (Salesforce has no 429 and sends no Retry-After);
- upsert answers 201 {"created": true} for a new record and, from API v46.0, 200 {"created": false} for an existing
  one (204 with no body before v46.0); an external ID field that does not exist is 404 NOT_FOUND;
- SOSL reserved characters in the FIND term must be backslash-escaped, or the search is rejected.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.delivery.crm.fake_base import FakeVendor, Handler, Rejected, phone_matches

__all__ = ["FakeSalesforce"]

TASK_FIELDS = frozenset({
    "Subject", "Description", "Status", "Priority", "WhoId", "WhatId", "ActivityDate", "CallType", "CallDisposition",
    "CallDurationInSeconds", "CallObject", "TaskSubtype", "Type", "OwnerId", "ReminderDateTime", "IsReminderSet",
})
CASE_FIELDS = frozenset({
    "Subject", "Description", "Status", "Priority", "Origin", "Reason", "Type", "ContactId", "AccountId", "OwnerId",
    "SuppliedPhone", "SuppliedEmail", "SuppliedName",
})
CONTACT_FIELDS = frozenset({
    "Id", "Name", "FirstName", "LastName", "AccountId", "Phone", "MobilePhone", "HomePhone", "OtherPhone", "Email",
    "Title", "OwnerId",
})
_SOBJECTS = {"Task": TASK_FIELDS, "Case": CASE_FIELDS}
_ID_PREFIX = {"Task": "00T", "Case": "500"}
# Field labels as Salesforce words them in MALFORMED_ID messages.
_REFERENCE_LABELS = {"WhoId": "Name ID", "WhatId": "Related To ID", "OwnerId": "Assigned To ID",
                     "ContactId": "Contact ID", "AccountId": "Account ID"}
_RESTRICTED_PICKLISTS = {"CallType": {"Internal", "Inbound", "Outbound"},
                         "TaskSubtype": {"Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"}}
_MAX_LENGTH = {"Subject": 255, "CallObject": 255, "CallDisposition": 255, "SuppliedName": 80, "SuppliedEmail": 80,
               "SuppliedPhone": 40}
_SF_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})")
_UPSERT_REPORTS_CREATED_FROM = 46.0

# FIND {term} IN <group> FIELDS RETURNING <object>[(fields [LIMIT n])] [LIMIT n]; keywords are case-insensitive.
_SOSL = re.compile(
    r"\s*FIND\s*\{(?P<term>(?:\\.|[^\\{}])*)\}\s+IN\s+(?P<group>\w+)\s+FIELDS\s+RETURNING\s+(?P<object>\w+)"
    r"\s*(?:\((?P<fields>[^()]*)\))?\s*(?:LIMIT\s+(?P<limit>\d+))?\s*", re.IGNORECASE | re.DOTALL)
_SOSL_FIELDS = re.compile(r"(?P<list>.*?)(?:\s+LIMIT\s+(?P<limit>\d+))?\s*", re.IGNORECASE | re.DOTALL)
# Reserved in a SOSL search term unless backslash-escaped; * and ? are wildcards and " delimits phrases.
_SOSL_RESERVED = set("&|!{}[]()^~:\\'+-")


def _errors(status: int, error_code: str, message: str, fields: list[str] | None = None) -> Response:
    error: dict[str, Any] = {"message": message, "errorCode": error_code}
    if fields is not None:
        error["fields"] = fields
    return JSONResponse([error], status_code=status)


class FakeSalesforce(FakeVendor):
    """Salesforce REST: SOSL phone search for Contacts, and create/upsert-by-external-ID for Task and Case."""

    def __init__(self, *, token: str = "00Dfake!session", version: str = "59.0",
                 external_id_field: str = "Callpilot_Id__c",
                 custom_fields: Mapping[str, Iterable[str]] | None = None) -> None:
        custom = {sobject: set(names) for sobject, names in (custom_fields or {}).items()}
        for sobject, names in custom.items():
            if sobject not in _SOBJECTS or any(not name.endswith("__c") for name in names):
                raise ValueError(f"custom fields must be Task/Case fields named *__c, got {sobject}: {sorted(names)}")
        self.token = token
        self.version = version
        self.external_id_field = external_id_field
        self._fields = {sobject: base | {external_id_field} | custom.get(sobject, set())
                        for sobject, base in _SOBJECTS.items()}
        self._contacts: dict[str, dict[str, Any]] = {}
        self._records: dict[str, dict[str, dict[str, Any]]] = {sobject: {} for sobject in _SOBJECTS}
        self._ids = itertools.count(1)
        super().__init__()

    # -- test-facing state -----------------------------------------------------------------------------------

    def seed_contact(self, id: str, name: str, phone: str | None, account_id: str | None = None,
                     mobile_phone: str | None = None) -> None:
        self._contacts[id] = {"Id": id, "Name": name, "Phone": phone, "MobilePhone": mobile_phone,
                              "AccountId": account_id}

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Stored Task or Case records (with "Id" and the external ID field), in creation order."""
        return [dict(record) for record in self._records[sobject].values()]

    # -- FakeVendor ------------------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        prefix = f"/services/data/v{self.version}"
        return [
            ("GET", f"{prefix}/search/", self._search),
            ("GET", f"{prefix}/search", self._search),
            ("POST", f"{prefix}/sobjects/{{sobject}}/", self._create),
            ("POST", f"{prefix}/sobjects/{{sobject}}", self._create),
            ("PATCH", f"{prefix}/sobjects/{{sobject}}/{{field}}/{{value}}", self._upsert),
        ]

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> Response:
        return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def rate_limit(self, times: int, retry_after: int | None = None) -> None:
        """The next `times` requests get 403 REQUEST_LIMIT_EXCEEDED, as Salesforce answers an exhausted API limit.

        Salesforce sends no Retry-After; pass `retry_after` only to check that a connector does not need one.
        """
        super().rate_limit(times, retry_after)

    def rate_limited(self, retry_after: int | None) -> Response:
        response = _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def unavailable(self) -> Response:
        return _errors(503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable. Try again later.")

    def not_found(self) -> Response:
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    def malformed_json(self, detail: str) -> Response:
        return _errors(400, "JSON_PARSER_ERROR", f"Unexpected character: {detail}")

    # -- handlers --------------------------------------------------------------------------------------------

    def _search(self, request: Request, body: Any) -> Response:
        query = request.query_params.get("q", "")
        match = _SOSL.fullmatch(query)
        if match is None:
            raise Rejected(_errors(400, "MALFORMED_SEARCH", f"unexpected token in SOSL: {query!r}; the fake answers "
                                   "FIND {term} IN PHONE FIELDS RETURNING Contact(fields)"))
        if match["group"].upper() != "PHONE" or match["object"] != "Contact":
            raise Rejected(_errors(400, "MALFORMED_SEARCH", "the fake answers only IN PHONE FIELDS RETURNING Contact"))
        term = _unescape_sosl_term(match["term"])
        fields_match = _SOSL_FIELDS.fullmatch(match["fields"] or "")
        assert fields_match is not None  # the pattern matches any string
        fields = [name.strip() for name in fields_match["list"].split(",") if name.strip()] or ["Id"]
        for name in fields:
            if name not in CONTACT_FIELDS:
                raise Rejected(_errors(400, "INVALID_FIELD", f"No such column '{name}' on entity 'Contact'. If you are "
                                       "attempting to use a custom field, be sure to append the '__c' after the "
                                       "custom field name."))
        limit = int(fields_match["limit"] or match["limit"] or 2000)
        found = [contact for contact in self._contacts.values()
                 if phone_matches(contact["Phone"], term) or phone_matches(contact["MobilePhone"], term)]
        prefix = f"/services/data/v{self.version}"
        records = [{"attributes": {"type": "Contact", "url": f"{prefix}/sobjects/Contact/{contact['Id']}"},
                    **{name: contact.get(name) for name in fields}} for contact in found[:limit]]
        return JSONResponse({"searchRecords": records})

    def _create(self, request: Request, body: Any) -> Response:
        sobject = self._sobject(request)
        record = self._new_record(sobject, self._validated(sobject, body))
        return JSONResponse({"id": record["Id"], "success": True, "errors": []}, status_code=201)

    def _upsert(self, request: Request, body: Any) -> Response:
        sobject = self._sobject(request)
        field, value = request.path_params["field"], request.path_params["value"]
        if field != self.external_id_field:
            raise Rejected(_errors(404, "NOT_FOUND",
                                   f"Provided external ID field does not exist or is not accessible: {field}"))
        fields = self._validated(sobject, body)
        existing = next((r for r in self._records[sobject].values() if r.get(field) == value), None)
        if existing is None:
            record = self._new_record(sobject, {**fields, field: value})
            return JSONResponse({"id": record["Id"], "success": True, "errors": [], "created": True}, status_code=201)
        existing.update(fields)
        if float(self.version) < _UPSERT_REPORTS_CREATED_FROM:
            return Response(status_code=204)
        return JSONResponse({"id": existing["Id"], "success": True, "errors": [], "created": False})

    # -- helpers ---------------------------------------------------------------------------------------------

    def _sobject(self, request: Request) -> str:
        sobject = str(request.path_params["sobject"])
        if sobject not in _SOBJECTS:
            raise Rejected(self.not_found())
        return sobject

    def _new_record(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        record_id = f"{_ID_PREFIX[sobject]}{next(self._ids):012d}AAA"
        self._records[sobject][record_id] = {"Id": record_id, **fields}
        return self._records[sobject][record_id]

    def _validated(self, sobject: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Rejected(_errors(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {sobject.lower()} from "
                                   f"{type(body).__name__} value; the body must be a JSON object of fields"))
        fields = {name: value for name, value in body.items() if name != "attributes"}
        for name, value in fields.items():
            if name not in self._fields[sobject] or name in self.rejected_fields:
                raise Rejected(_errors(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}",
                                       [name]))
            if value is not None:
                _check_value(name, value)
        return fields


def _check_value(name: str, value: Any) -> None:
    """Type and format checks Salesforce applies while deserialising the JSON body (the first failure wins)."""
    if name == "ActivityDate" and not (isinstance(value, str) and _DATE.fullmatch(value)):
        raise Rejected(_parser_error("date", value))
    if name == "ReminderDateTime" and not (isinstance(value, str) and _DATETIME.fullmatch(value)):
        raise Rejected(_parser_error("datetime", value))
    if name == "CallDurationInSeconds" and (isinstance(value, bool) or not str(value).isdigit()):
        raise Rejected(_parser_error("int", value))
    if name == "IsReminderSet" and not isinstance(value, bool):
        raise Rejected(_parser_error("boolean", value))
    if name in _REFERENCE_LABELS and not (isinstance(value, str) and _SF_ID.fullmatch(value)):
        raise Rejected(_errors(400, "MALFORMED_ID", f"{_REFERENCE_LABELS[name]}: id value of incorrect type: {value}",
                               [name]))
    if name in _RESTRICTED_PICKLISTS and value not in _RESTRICTED_PICKLISTS[name]:
        raise Rejected(_errors(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               f"bad value for restricted picklist field: {value}", [name]))
    if name in _MAX_LENGTH and len(str(value)) > _MAX_LENGTH[name]:
        raise Rejected(_errors(400, "STRING_TOO_LONG",
                               f"{name}: data value too large: {str(value)[:20]}... (max length={_MAX_LENGTH[name]})",
                               [name]))


def _parser_error(kind: str, value: Any) -> Response:
    return _errors(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} "
                   "or request may be missing a required field")


def _unescape_sosl_term(term: str) -> str:
    out: list[str] = []
    chars = iter(term)
    for ch in chars:
        if ch == "\\":
            out.append(next(chars, ""))
        elif ch in _SOSL_RESERVED:
            raise Rejected(_errors(400, "MALFORMED_SEARCH", f"Reserved character {ch!r} in the search term must be "
                                   "escaped with a backslash"))
        else:
            out.append(ch)
    return "".join(out)
