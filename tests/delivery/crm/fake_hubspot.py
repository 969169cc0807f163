"""FakeHubSpot: CRM v3 objects (contacts, notes, tasks) as hubspot-api-client calls them, checked against the docs.

Documented behaviour it reproduces (CRM search guide, notes and tasks guides, API usage guidelines, error handling):
- search takes up to 5 filterGroups (OR) of up to 6 filters (AND), 18 filters in all, `limit` at most 200, and the
  operators the reference lists; groups are ORed, filters within a group ANDed;
- notes and tasks require `hs_timestamp` (Unix milliseconds or ISO 8601 UTC); an association names its target by id
  and a HUBSPOT_DEFINED type id (note->contact 202, task->contact 204, ...);
- errors are {"status": "error", "message", "correlationId", "category"[, "errors", "context"]}; an unknown
  property is 400 VALIDATION_ERROR whose message embeds each invalid property ("Property values were not valid:
  [...]", code PROPERTY_DOESNT_EXIST) and whose `errors` list names it in context.propertyName;
- 429 carries {"errorType": "RATE_LIMIT", "policyName": "SECONDLY", ...}.
Exact wording of errors the docs do not show (bad association, bad timestamp) is the fake's own, in the same envelope.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.delivery.crm.fake_base import FakeVendor, Handler, Rejected, digits, phone_matches

__all__ = ["FakeHubSpot"]

OPERATORS = frozenset({"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
                       "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
_MAX_FILTER_GROUPS, _MAX_FILTERS_PER_GROUP, _MAX_FILTERS, _MAX_LIMIT = 5, 6, 18, 200

_WRITABLE = {
    "contacts": frozenset({"email", "firstname", "lastname", "phone", "mobilephone", "company", "jobtitle", "website",
                           "lifecyclestage", "hs_lead_status", "hubspot_owner_id", "address", "city", "state", "zip",
                           "country"}),
    "notes": frozenset({"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"}),
    "tasks": frozenset({"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
                        "hs_task_type", "hubspot_owner_id", "hs_task_reminders"}),
}
_READ_ONLY = {
    "contacts": frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_searchable_calculated_phone_number",
                           "hs_searchable_calculated_mobile_number"}),
    "notes": frozenset({"hs_object_id", "hs_createdate", "hs_lastmodifieddate"}),
    "tasks": frozenset({"hs_object_id", "hs_createdate", "hs_lastmodifieddate"}),
}
_RETURNED_BY_DEFAULT = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "notes": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
# (id, created, last modified): every object returns these whatever properties were asked for.
_ALWAYS_RETURNED = {"contacts": ("hs_object_id", "createdate", "lastmodifieddate"),
                    "notes": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate"),
                    "tasks": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate")}
# Phone-valued properties compare by digits; the calculated ones are HubSpot's digits-only search copies.
_PHONE_SOURCE = {"phone": "phone", "mobilephone": "mobilephone", "hs_searchable_calculated_phone_number": "phone",
                 "hs_searchable_calculated_mobile_number": "mobilephone"}
_OPTIONS = {
    "hs_task_status": ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
    "hs_task_priority": ("NONE", "LOW", "MEDIUM", "HIGH"),
    "hs_task_type": ("EMAIL", "CALL", "TODO"),
}
_REQUIRED_ON_CREATE = {"notes": ("hs_timestamp",), "tasks": ("hs_timestamp",)}
# (from object, HUBSPOT_DEFINED associationTypeId) -> target object, from the associations type-ID table.
_ASSOCIATION_TYPES = {("notes", 202): "contacts", ("notes", 190): "companies", ("notes", 214): "deals",
                      ("notes", 228): "tickets", ("tasks", 204): "contacts", ("tasks", 192): "companies",
                      ("tasks", 216): "deals", ("tasks", 230): "tickets"}
_CATEGORIES = ("HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED")
_SEARCH_KEYS = frozenset({"filterGroups", "properties", "limit", "after", "sorts", "query"})
_FILTER_KEYS = frozenset({"propertyName", "operator", "value", "values", "highValue"})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category, **extra}
    return JSONResponse(body, status_code=status)


def _bad_json(detail: str) -> Rejected:
    return Rejected(_error(400, f"Invalid input JSON on line 1, column 1: {detail}", "VALIDATION_ERROR"))


class FakeHubSpot(FakeVendor):
    """HubSpot CRM v3: search/create/update/read of contacts, notes and tasks, with associations to contacts."""

    def __init__(self, *, token: str = "pat-na1-fake", portal_id: int = 12345678,
                 custom_properties: Mapping[str, Iterable[str]] | None = None) -> None:
        custom = {"notes": {"callpilot_id"}, "tasks": {"callpilot_id"}} if custom_properties is None else {
            object_type: set(names) for object_type, names in custom_properties.items()}
        self.token = token
        self.portal_id = portal_id
        self._writable = {t: base | custom.get(t, set()) for t, base in _WRITABLE.items()}
        self._objects: dict[str, dict[str, dict[str, Any]]] = {object_type: {} for object_type in _WRITABLE}
        self._ids = itertools.count(90000000001)
        super().__init__()

    # -- test-facing state -----------------------------------------------------------------------------------

    def seed_contact(self, id: str, **properties: str) -> None:
        unknown = set(properties) - self._writable["contacts"]
        if unknown:
            raise ValueError(f"unknown contact properties: {sorted(unknown)}")
        self._store("contacts", properties, [], object_id=id)

    def records(self, object_type: str) -> list[dict[str, Any]]:
        """Stored objects as {"id", "properties", "associations": [(to_id, type_id)]}, in creation order."""
        return [{"id": o["id"], "properties": dict(o["properties"]), "associations": list(o["associations"])}
                for o in self._objects[object_type].values()]

    # -- FakeVendor ------------------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/crm/v3/objects/{object_type}/search", self._search),
            ("POST", "/crm/v3/objects/{object_type}", self._create),
            ("PATCH", "/crm/v3/objects/{object_type}/{object_id}", self._update),
            ("GET", "/crm/v3/objects/{object_type}/{object_id}", self._read),
        ]

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def unauthorized(self) -> Response:
        return _error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
                      "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                      "INVALID_AUTHENTICATION")

    def rate_limited(self, retry_after: int | None) -> Response:
        response = JSONResponse({"status": "error", "message": "You have reached your secondly limit.",
                                 "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                                 "policyName": "SECONDLY"}, status_code=429)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def unavailable(self) -> Response:
        return _error(503, "Service Unavailable", "SERVICE_UNAVAILABLE")

    def not_found(self) -> Response:
        return _error(404, "resource not found", "OBJECT_NOT_FOUND")

    def malformed_json(self, detail: str) -> Response:
        return _bad_json(detail).response

    # -- handlers --------------------------------------------------------------------------------------------

    def _search(self, request: Request, body: Any) -> Response:
        object_type = self._object_type(request)
        if not isinstance(body, dict) or set(body) - _SEARCH_KEYS:
            raise _bad_json(f"a search request is an object with only {sorted(_SEARCH_KEYS)}")
        groups = self._checked_filter_groups(object_type, body.get("filterGroups", []))
        limit, after, requested = body.get("limit", 10), str(body.get("after") or "0"), body.get("properties")
        if not isinstance(limit, int) or not 0 <= limit <= _MAX_LIMIT:
            raise Rejected(_error(400, f"limit must be between 0 and {_MAX_LIMIT}, got {limit}", "VALIDATION_ERROR"))
        if not after.isdigit() or not (requested is None or (
                isinstance(requested, list) and all(isinstance(name, str) for name in requested))):
            raise _bad_json('"after" is a paging cursor and "properties" a list of property names')
        text = str(body.get("query") or "").lower()
        found = [o for o in self._objects[object_type].values()
                 if (not groups or any(all(self._matches(object_type, f, o) for f in g) for g in groups))
                 and (not text or any(text in str(v).lower() for v in o["properties"].values()))]
        start = int(after)
        page: dict[str, Any] = {"total": len(found), "results": [
            self._view(object_type, o, requested) for o in found[start:start + limit]]}
        if start + limit < len(found):
            page["paging"] = {"next": {"after": str(start + limit)}}
        return JSONResponse(page)

    def _create(self, request: Request, body: Any) -> Response:
        object_type = self._object_type(request)
        if not isinstance(body, dict) or set(body) - {"properties", "associations"}:
            raise _bad_json('the body is an object with "properties" and optionally "associations"')
        properties = self._checked_properties(object_type, body.get("properties"), creating=True)
        associations = self._checked_associations(object_type, body.get("associations", []))
        stored = self._store(object_type, properties, associations)
        return JSONResponse(self._view(object_type, stored, list(stored["properties"])), status_code=201)

    def _update(self, request: Request, body: Any) -> Response:
        object_type, stored = self._existing(request)
        if not isinstance(body, dict) or set(body) != {"properties"}:
            raise _bad_json('the body is an object with only "properties"')
        stored["properties"].update(self._checked_properties(object_type, body["properties"], creating=False))
        stored["updatedAt"] = _now()
        return JSONResponse(self._view(object_type, stored, list(stored["properties"])))

    def _read(self, request: Request, body: Any) -> Response:
        object_type, stored = self._existing(request)
        requested = [n for v in request.query_params.getlist("properties") for n in v.split(",") if n]
        return JSONResponse(self._view(object_type, stored, requested or None))

    # -- validation ------------------------------------------------------------------------------------------

    def _checked_filter_groups(self, object_type: str, groups: Any) -> list[list[dict[str, Any]]]:
        if not isinstance(groups, list) or len(groups) > _MAX_FILTER_GROUPS:
            raise _bad_json(f"filterGroups is a list of at most {_MAX_FILTER_GROUPS} groups")
        checked: list[list[dict[str, Any]]] = []
        for group in groups:
            if not isinstance(group, dict) or set(group) != {"filters"} or not isinstance(group["filters"], list):
                raise _bad_json('each filter group is {"filters": [...]}')
            if len(group["filters"]) > _MAX_FILTERS_PER_GROUP:
                raise _bad_json(f"a filter group has at most {_MAX_FILTERS_PER_GROUP} filters")
            checked.append([self._checked_filter(object_type, f) for f in group["filters"]])
        if sum(map(len, checked)) > _MAX_FILTERS:
            raise _bad_json(f"a search has at most {_MAX_FILTERS} filters in all")
        return checked

    def _checked_filter(self, object_type: str, f: Any) -> dict[str, Any]:
        if not isinstance(f, dict) or set(f) - _FILTER_KEYS or not isinstance(f.get("propertyName"), str):
            raise _bad_json(f"a filter is an object with propertyName, operator and a value, got {f!r}")
        if f.get("operator") not in OPERATORS:
            raise _bad_json(f"operator {f.get('operator')!r} is not one of {sorted(OPERATORS)}")
        if f["propertyName"] not in self._writable[object_type] | _READ_ONLY[object_type]:
            raise Rejected(self._invalid([(f["propertyName"], "PROPERTY_DOESNT_EXIST",
                                           f'Property "{f["propertyName"]}" does not exist')]))
        needs = {"IN": "values", "NOT_IN": "values", "HAS_PROPERTY": None, "NOT_HAS_PROPERTY": None}.get(
            f["operator"], "value")
        if needs and needs not in f or (f["operator"] == "BETWEEN" and "highValue" not in f):
            raise _bad_json(f"operator {f['operator']} needs {needs}{' and highValue' * (f['operator'] == 'BETWEEN')}")
        return f

    def _checked_properties(self, object_type: str, properties: Any, *, creating: bool) -> dict[str, str]:
        if not isinstance(properties, dict):
            raise _bad_json('"properties" is an object of property name to value')
        invalid = [problem for name, value in properties.items()
                   if (problem := self._property_problem(object_type, name, value)) is not None]
        if creating:
            invalid += [(name, "REQUIRED_PROPERTY", f'Property "{name}" is required')
                        for name in _REQUIRED_ON_CREATE.get(object_type, ()) if properties.get(name) in (None, "")]
        if invalid:
            raise Rejected(self._invalid(invalid))
        return {name: _as_hubspot_string(value) for name, value in properties.items()}

    def _property_problem(self, object_type: str, name: str, value: Any) -> tuple[str, str, str] | None:
        if name in _READ_ONLY[object_type]:
            return name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
        if name not in self._writable[object_type] or name in self.rejected_fields:
            return name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
        if value is not None and not isinstance(value, str | int | float | bool):
            return name, "INVALID_VALUE", f"{json.dumps(value)} is not a property value (string, number or bool)"
        if name in _OPTIONS and value not in _OPTIONS[name]:
            return name, "INVALID_OPTION", f"{value} was not one of the allowed options: {list(_OPTIONS[name])}"
        if name == "hs_timestamp" and value is not None and not _is_timestamp(value):
            return name, "INVALID_DATETIME", f"{value} is neither Unix milliseconds nor an ISO 8601 UTC timestamp"
        return None

    def _invalid(self, problems: list[tuple[str, str, str]]) -> Response:
        details = [{"isValid": False, "message": message, "error": code, "name": name,
                    "localizedErrorMessage": message, "portalId": self.portal_id} for name, code, message in problems]
        errors = [{"message": message, "code": code, "context": {"propertyName": [name]}}
                  for name, code, message in problems]
        compact = json.dumps(details, separators=(",", ":"))
        return _error(400, f"Property values were not valid: {compact}", "VALIDATION_ERROR",
                      errors=errors)

    def _checked_associations(self, object_type: str, associations: Any) -> list[tuple[str, int]]:
        if not isinstance(associations, list):
            raise _bad_json('"associations" is a list')
        checked: list[tuple[str, int]] = []
        for association in associations:
            to, types = (association.get("to"), association.get("types")) if isinstance(association, dict) else (
                None, None)
            if not isinstance(to, dict) or not isinstance(to.get("id"), str | int) or not isinstance(types, list) \
                    or not types:
                raise _bad_json(f'an association is {{"to": {{"id": ...}}, "types": [...]}}, got {association!r}')
            for spec in types:
                checked.append((str(to["id"]), self._checked_association_type(object_type, str(to["id"]), spec)))
        return checked

    def _checked_association_type(self, object_type: str, to_id: str, spec: Any) -> int:
        if not isinstance(spec, dict) or spec.get("associationCategory") not in _CATEGORIES \
                or not isinstance(spec.get("associationTypeId"), int):
            raise _bad_json(f"an association type is {{associationCategory in {_CATEGORIES}, associationTypeId: int}}")
        target = _ASSOCIATION_TYPES.get((object_type, spec["associationTypeId"]))
        if spec["associationCategory"] != "HUBSPOT_DEFINED" or target is None:
            raise Rejected(_error(400, f"{spec['associationCategory']} association type {spec['associationTypeId']} "
                                  f"does not exist from {object_type}", "VALIDATION_ERROR"))
        if target in self._objects and to_id not in self._objects[target]:
            raise Rejected(_error(400, f"No {target} with id {to_id} exist to associate with", "VALIDATION_ERROR"))
        return int(spec["associationTypeId"])

    # -- storage and views -----------------------------------------------------------------------------------

    def _object_type(self, request: Request) -> str:
        object_type = str(request.path_params["object_type"])
        if object_type not in self._objects:
            raise Rejected(self.not_found())
        return object_type

    def _existing(self, request: Request) -> tuple[str, dict[str, Any]]:
        object_type = self._object_type(request)
        stored = self._objects[object_type].get(str(request.path_params["object_id"]))
        if stored is None:
            raise Rejected(self.not_found())
        return object_type, stored

    def _store(self, object_type: str, properties: Mapping[str, str], associations: list[tuple[str, int]],
               object_id: str | None = None) -> dict[str, Any]:
        now, object_id = _now(), object_id or str(next(self._ids))
        self._objects[object_type][object_id] = {"id": object_id, "properties": dict(properties),
                                                 "associations": associations, "createdAt": now, "updatedAt": now}
        return self._objects[object_type][object_id]

    def _value(self, object_type: str, stored: dict[str, Any], name: str) -> str | None:
        id_name, created, modified = _ALWAYS_RETURNED[object_type]
        if name in (id_name, created, modified):
            return str({id_name: stored["id"], created: stored["createdAt"], modified: stored["updatedAt"]}[name])
        if name.startswith("hs_searchable_calculated_"):
            return digits(stored["properties"].get(_PHONE_SOURCE[name])) or None
        value = stored["properties"].get(name)
        return None if value is None else str(value)

    def _view(self, object_type: str, stored: dict[str, Any], requested: list[str] | None) -> dict[str, Any]:
        names = [*(requested or _RETURNED_BY_DEFAULT[object_type]), *_ALWAYS_RETURNED[object_type]]
        properties = {name: self._value(object_type, stored, name) for name in dict.fromkeys(names)}
        return {"id": stored["id"], "properties": properties,
                "createdAt": stored["createdAt"], "updatedAt": stored["updatedAt"], "archived": False}

    def _matches(self, object_type: str, f: dict[str, Any], stored: dict[str, Any]) -> bool:
        value = self._value(object_type, stored, f["propertyName"])
        operator = f["operator"]
        if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return (value not in (None, "")) == (operator == "HAS_PROPERTY")
        if value in (None, ""):
            return False
        phone = f["propertyName"] in _PHONE_SOURCE

        def equal(wanted: Any) -> bool:
            return phone_matches(value, wanted) if phone else str(value).lower() == str(wanted).lower()

        def order(wanted: Any) -> int:
            a, b = _comparable(value, wanted)
            return (a > b) - (a < b)

        return {
            "EQ": lambda: equal(f["value"]), "NEQ": lambda: not equal(f["value"]),
            "IN": lambda: any(map(equal, f["values"])), "NOT_IN": lambda: not any(map(equal, f["values"])),
            "CONTAINS_TOKEN": lambda: str(f["value"]).strip("*").lower() in value.lower(),
            "NOT_CONTAINS_TOKEN": lambda: str(f["value"]).strip("*").lower() not in value.lower(),
            "LT": lambda: order(f["value"]) < 0, "LTE": lambda: order(f["value"]) <= 0,
            "GT": lambda: order(f["value"]) > 0, "GTE": lambda: order(f["value"]) >= 0,
            "BETWEEN": lambda: order(f["value"]) >= 0 >= order(f["highValue"]),
        }[operator]()


def _as_hubspot_string(value: Any) -> str:
    """HubSpot stores every property value as a string; booleans as "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    """Both as numbers when both parse as numbers (timestamps, counts), else both as text."""
    try:
        return float(a), float(b)
    except (TypeError, ValueError):
        return str(a), str(b)


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return True
    try:
        return datetime.fromisoformat(str(value)).utcoffset() is not None
    except ValueError:
        return False
