"""FakeZendesk: the Support API v2 calls a connector makes through zenpy, checked as the reference documents.

Documented behaviour it reproduces (Support API reference: Users, Search, Tickets, Rate limits, Errors):
- API-token basic auth is "{email}/token:{token}"; otherwise 401 {"error": "Couldn't authenticate you"};
- users/search.json takes `query` or `external_id`; search.json answers {"results": [{... "result_type"}]};
- tickets.json?external_id=X lists tickets by external id, in cursor form ({"meta": {"has_more"}, "links"}) when
  page[size] is given (zenpy always gives it), else offset form ({"count", "next_page"});
- creating or updating a ticket answers {"ticket", "audit"}; an invalid record is 422 {"error": "RecordInvalid",
  "description": "Record validation errors", "details": {field: [{"description", "error"}]}};
- 429 is text/plain with a Retry-After header (which is why zenpy raises requests.HTTPError, not APIException).
Stricter than Zendesk on purpose: an unknown ticket or comment attribute, or an unregistered custom field id, is
refused (Zendesk drops them silently), so a misspelt attribute fails a test instead of vanishing.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from tests.delivery.crm.fake_base import FakeVendor, Handler, Rejected, phone_matches

__all__ = ["FakeZendesk"]

TICKET_ATTRIBUTES = frozenset({
    "subject", "raw_subject", "comment", "requester_id", "submitter_id", "assignee_id", "group_id", "organization_id",
    "collaborator_ids", "email_cc_ids", "follower_ids", "external_id", "type", "priority", "status", "tags",
    "custom_fields", "due_at", "problem_id", "brand_id", "ticket_form_id", "custom_status_id", "safe_update",
    "updated_stamp", "metadata",
})
COMMENT_ATTRIBUTES = frozenset({"body", "html_body", "public", "author_id", "uploads"})
_CHOICES = {"type": ("problem", "incident", "question", "task"), "priority": ("urgent", "high", "normal", "low"),
            "status": ("new", "open", "pending", "hold", "solved", "closed")}
_ID_LISTS = ("collaborator_ids", "email_cc_ids", "follower_ids")
_ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?")
# key:value or "quoted value" or a bare word, as Zendesk's search syntax splits a query.
_QUERY_TOKEN = re.compile(r'(?:(?P<key>\w+):)?(?:"(?P<quoted>[^"]*)"|(?P<bare>\S+))')
_USER_SEARCH_KEYS = frozenset({"phone", "email", "name", "external_id", "role", "type"})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invalid(details: dict[str, str]) -> Rejected:
    return Rejected(JSONResponse({"error": "RecordInvalid", "description": "Record validation errors",
                                  "details": {field: [{"description": text, "error": "InvalidValue"}]
                                              for field, text in details.items()}}, status_code=422))


def _bad_request(error: str, description: str) -> Rejected:
    return Rejected(JSONResponse({"error": error, "description": description}, status_code=400))


class FakeZendesk(FakeVendor):
    """Zendesk Support: user lookup by phone, tickets by external_id, ticket create and comment."""

    AGENT_ID = 1  # the authenticated agent: submitter and comment author unless a request says otherwise

    def __init__(self, *, email: str = "agent@example.com", token: str = "zd-fake-token",
                 ticket_field_ids: Iterable[int] = ()) -> None:
        self.email = email
        self.token = token
        self.ticket_field_ids = frozenset(ticket_field_ids)
        self._users: dict[int, dict[str, Any]] = {}
        self._tickets: dict[int, dict[str, Any]] = {}
        self._comments: dict[int, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1001)
        super().__init__()

    # -- test-facing state -----------------------------------------------------------------------------------

    def seed_user(self, id: int, name: str, phone: str | None = None, email: str | None = None,
                  external_id: str | None = None, role: str = "end-user") -> None:
        now = _now()
        self._users[id] = {"id": id, "name": name, "phone": phone, "email": email, "external_id": external_id,
                           "role": role, "active": True, "verified": True, "time_zone": "UTC", "tags": [],
                           "organization_id": None, "created_at": now, "updated_at": now}

    def tickets(self) -> list[dict[str, Any]]:
        """Stored tickets, each with its "comments" ([{"body", "public", "author_id", ...}]), in creation order."""
        return [{**ticket, "comments": list(self._comments[ticket["id"]])} for ticket in self._tickets.values()]

    # -- FakeVendor ------------------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler]]:
        routes: list[tuple[str, str, Handler]] = []
        for suffix in (".json", ""):  # Zendesk answers with and without the .json suffix
            routes += [
                ("GET", f"/api/v2/users/search{suffix}", self._search_users),
                ("GET", f"/api/v2/users/{{user_id:int}}{suffix}", self._show_user),
                ("GET", f"/api/v2/search{suffix}", self._search),
                ("GET", f"/api/v2/tickets{suffix}", self._list_tickets),
                ("POST", f"/api/v2/tickets{suffix}", self._create_ticket),
                ("GET", f"/api/v2/tickets/{{ticket_id:int}}{suffix}", self._show_ticket),
                ("PUT", f"/api/v2/tickets/{{ticket_id:int}}{suffix}", self._update_ticket),
            ]
        return routes

    def authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def unauthorized(self) -> Response:
        return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)

    def rate_limited(self, retry_after: int | None) -> Response:
        response = PlainTextResponse("Number of allowed API requests per minute exceeded", status_code=429)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def unavailable(self) -> Response:
        return PlainTextResponse("Service Unavailable", status_code=503)

    def not_found(self) -> Response:
        return JSONResponse({"error": "InvalidEndpoint", "description": "Not found"}, status_code=404)

    def malformed_json(self, detail: str) -> Response:
        return _bad_request("InvalidJSON", f"The request body is not valid JSON: {detail}").response

    # -- users and search ------------------------------------------------------------------------------------

    def _search_users(self, request: Request, body: Any) -> Response:
        query, external_id = request.query_params.get("query"), request.query_params.get("external_id")
        if (query is None) == (external_id is None):
            raise _bad_request("InvalidValue", "Provide exactly one of query or external_id")
        if external_id is not None:
            found = [u for u in self._users.values() if u["external_id"] == external_id]
        else:
            found = self._users_matching(str(query))
        return JSONResponse({"users": found, "next_page": None, "previous_page": None, "count": len(found)})

    def _search(self, request: Request, body: Any) -> Response:
        query = request.query_params.get("query", "")
        tokens = [(m["key"], m["quoted"] if m["quoted"] is not None else m["bare"])
                  for m in _QUERY_TOKEN.finditer(query)]
        if ("type", "user") not in tokens:
            raise _bad_request("InvalidValue", f"the fake searches only type:user, got {query!r}")
        found = [{**user, "result_type": "user"} for user in self._users_matching(query)]
        return JSONResponse({"results": found, "facets": None, "next_page": None, "previous_page": None,
                             "count": len(found)})

    def _users_matching(self, query: str) -> list[dict[str, Any]]:
        """Every term must match (Zendesk ANDs terms); a bare term matches phone digits, name or email."""
        terms = [(m["key"], m["quoted"] if m["quoted"] is not None else m["bare"])
                 for m in _QUERY_TOKEN.finditer(query)]
        unknown = {key for key, _ in terms if key is not None} - _USER_SEARCH_KEYS
        if unknown:
            raise _bad_request("InvalidValue", f"the fake does not search users by {sorted(unknown)}")
        return [user for user in self._users.values() if all(_user_matches(user, k, v) for k, v in terms)]

    def _show_user(self, request: Request, body: Any) -> Response:
        user = self._users.get(int(request.path_params["user_id"]))
        if user is None:
            raise Rejected(JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404))
        return JSONResponse({"user": user})

    # -- tickets ---------------------------------------------------------------------------------------------

    def _list_tickets(self, request: Request, body: Any) -> Response:
        external_id = request.query_params.get("external_id")
        found = [t for t in self._tickets.values() if external_id is None or t["external_id"] == external_id]
        if "page[size]" in request.query_params:  # cursor pagination; the fake never splits a page
            return JSONResponse({"tickets": found, "meta": {"has_more": False, "after_cursor": None,
                                                            "before_cursor": None},
                                 "links": {"prev": None, "next": None}})
        return JSONResponse({"tickets": found, "next_page": None, "previous_page": None, "count": len(found)})

    def _show_ticket(self, request: Request, body: Any) -> Response:
        return JSONResponse({"ticket": self._existing(request)})

    def _create_ticket(self, request: Request, body: Any) -> Response:
        attributes = self._checked_ticket(body, creating=True)
        ticket_id, now = next(self._ids), _now()
        comment = attributes.pop("comment")
        ticket = {
            "id": ticket_id, "url": f"{request.base_url}api/v2/tickets/{ticket_id}.json", "external_id": None,
            "type": None, "subject": None, "raw_subject": None, "description": comment.get("body"),
            "priority": None, "status": "new", "requester_id": self.AGENT_ID, "submitter_id": self.AGENT_ID,
            "assignee_id": None, "organization_id": None, "group_id": None, "collaborator_ids": [],
            "follower_ids": [], "email_cc_ids": [], "tags": [], "custom_fields": [], "due_at": None,
            "is_public": bool(comment.get("public", True)), "via": {"channel": "api"}, "created_at": now,
            "updated_at": now, **attributes,
        }
        ticket["raw_subject"] = ticket["raw_subject"] or ticket["subject"]
        self._tickets[ticket_id], self._comments[ticket_id] = ticket, []
        audit = self._audit(ticket, comment, [("subject", ticket["subject"]), ("status", ticket["status"])])
        return JSONResponse({"ticket": ticket, "audit": audit}, status_code=201,
                            headers={"Location": ticket["url"]})

    def _update_ticket(self, request: Request, body: Any) -> Response:
        ticket = self._existing(request)
        attributes = self._checked_ticket(body, creating=False)
        if attributes.pop("id", ticket["id"]) != ticket["id"]:
            raise _invalid({"id": "Id: does not match the ticket in the URL"})
        comment = attributes.pop("comment", None)
        ticket.update(attributes, updated_at=_now())
        audit = self._audit(ticket, comment, list(attributes.items()))
        return JSONResponse({"ticket": ticket, "audit": audit})

    def _existing(self, request: Request) -> dict[str, Any]:
        ticket = self._tickets.get(int(request.path_params["ticket_id"]))
        if ticket is None:
            raise Rejected(JSONResponse({"error": "RecordNotFound", "description": "Not found"}, status_code=404))
        return ticket

    def _audit(self, ticket: dict[str, Any], comment: dict[str, Any] | None,
               changes: list[tuple[str, Any]]) -> dict[str, Any]:
        audit_id, now = next(self._ids), _now()
        events: list[dict[str, Any]] = []
        if comment is not None:
            stored = {"id": next(self._ids), "type": "Comment", "author_id": comment.get("author_id", self.AGENT_ID),
                      "body": comment.get("body") or comment.get("html_body"), "public": comment.get("public", True),
                      "attachments": [], "audit_id": audit_id, "created_at": now}
            self._comments[ticket["id"]].append(stored)
            events.append(stored)
        events += [{"id": next(self._ids), "type": "Change", "field_name": name, "value": value}
                   for name, value in changes]
        return {"id": audit_id, "ticket_id": ticket["id"], "created_at": now, "author_id": self.AGENT_ID,
                "metadata": {"system": {}, "custom": {}}, "via": {"channel": "api"}, "events": events}

    # -- validation ------------------------------------------------------------------------------------------

    def _checked_ticket(self, body: Any, *, creating: bool) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            raise _bad_request("ParameterMissing", "param is missing or the value is empty: ticket")
        ticket = dict(body["ticket"])
        allowed = TICKET_ATTRIBUTES if creating else TICKET_ATTRIBUTES | {"id"}
        if set(ticket) - allowed:
            raise _bad_request("InvalidAttribute", f"Unknown ticket attribute(s): {sorted(set(ticket) - allowed)}")
        problems = {name: f"{name}: is not accepted by this account" for name in ticket if name in self.rejected_fields}
        problems |= self._comment_problems(ticket.get("comment"), required=creating)
        problems |= {name: text for name, value in ticket.items() if (text := self._value_problem(name, value))}
        if problems:
            raise _invalid(problems)
        return ticket

    def _comment_problems(self, comment: Any, *, required: bool) -> dict[str, str]:
        if comment is None:
            return {"description": "Description: cannot be blank"} if required else {}
        if not isinstance(comment, dict) or set(comment) - COMMENT_ATTRIBUTES:
            raise _bad_request("InvalidAttribute", f"comment is an object with only {sorted(COMMENT_ATTRIBUTES)}")
        if not any(isinstance(comment.get(key), str) and comment[key].strip() for key in ("body", "html_body")):
            return {"description": "Description: cannot be blank"}
        if "public" in comment and not isinstance(comment["public"], bool):
            return {"comment": "Comment: public must be true or false"}
        return {}

    def _value_problem(self, name: str, value: Any) -> str | None:
        if value is None or name == "comment":
            return None
        if name in _CHOICES and value not in _CHOICES[name]:
            return f"{name.capitalize()}: is not one of {', '.join(_CHOICES[name])}"
        if name in ("requester_id", "submitter_id", "assignee_id") and not (
                isinstance(value, int) and (value in self._users or value == self.AGENT_ID)):
            return f"{name.removesuffix('_id').capitalize()}: is invalid ({value!r} is not a user id)"
        if name == "due_at" and not (isinstance(value, str) and _ISO_8601.fullmatch(value)):
            return f"Due at: {value!r} is not an ISO 8601 time"
        if name == "tags" and not (isinstance(value, list) and all(isinstance(tag, str) for tag in value)):
            return "Tags: must be a list of strings"
        if name in _ID_LISTS and not (isinstance(value, list) and all(isinstance(i, int) for i in value)):
            return f"{name}: must be a list of user ids"
        if name == "custom_fields":
            return self._custom_fields_problem(value)
        return None

    def _custom_fields_problem(self, fields: Any) -> str | None:
        if not isinstance(fields, list) or not all(isinstance(f, dict) and set(f) == {"id", "value"} for f in fields):
            return 'Custom fields: must be a list of {"id": <field id>, "value": ...}'
        for field in fields:
            if not isinstance(field["id"], int) or field["id"] not in self.ticket_field_ids:
                return f"Custom fields: {field['id']!r} is not a ticket field of this account"
            if str(field["id"]) in self.rejected_fields:
                return f"Custom fields: {field['id']} is not accepted by this account"
        return None


def _user_matches(user: dict[str, Any], key: str | None, value: str) -> bool:
    if key == "type":
        return value == "user"
    if key == "phone":
        return phone_matches(user["phone"], value)
    if key in ("email", "name", "external_id", "role"):
        return str(user.get(key) or "").lower() == value.lower()
    return phone_matches(user["phone"], value) or any(
        value.lower() in str(user.get(field) or "").lower() for field in ("name", "email"))
