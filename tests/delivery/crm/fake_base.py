"""What every CRM fake shares: the request log, fault injection, the auth check and JSON parsing.

A vendor fake subclasses `FakeVendor`, lists its routes and says how that vendor words its errors; handlers are
plain functions of (request, parsed JSON body) that return a response or raise `Rejected` with the vendor's error.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["FakeVendor", "Handler", "RecordedRequest", "Rejected", "digits", "phone_matches"]

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class RecordedRequest(NamedTuple):
    """One request as the fake received it, before any fault or auth check."""

    method: str
    path: str
    query: dict[str, str]
    json: Any


class Rejected(Exception):
    """Raised by a handler to answer with the vendor's error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


Handler = Callable[[Request, Any], Response]


class FakeVendor(ABC):
    """A vendor's REST API in memory, as a Starlette app (`.app`) to serve with `tls.serve_https`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.rejected_fields: set[str] = set()
        self._faults: deque[Callable[[], Response]] = deque()
        routes = [Route(path, self._endpoint(handler), methods=[method]) for method, path, handler in self.routes()]
        routes.append(Route("/{path:path}", self._endpoint(lambda request, body: self.not_found()),
                            methods=_ALL_METHODS))
        self.app = Starlette(routes=routes)

    # -- fault injection -------------------------------------------------------------------------------------

    def rate_limit(self, times: int, retry_after: int | None) -> None:
        """The next `times` requests get the vendor's rate-limit answer, with `Retry-After` unless it is None."""
        self._faults.extend([partial(self.rate_limited, retry_after)] * times)

    def down(self, times: int) -> None:
        """The next `times` requests get 503."""
        self._faults.extend([self.unavailable] * times)

    def reject_field(self, name: str) -> None:
        """Any write that sets `name` gets the vendor's validation error naming it, as if the org lacked it."""
        self.rejected_fields.add(name)

    # -- what a vendor defines -------------------------------------------------------------------------------

    @abstractmethod
    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, Starlette path, handler) for every documented endpoint the fake answers."""

    @abstractmethod
    def authorized(self, request: Request) -> bool: ...

    @abstractmethod
    def unauthorized(self) -> Response: ...

    @abstractmethod
    def rate_limited(self, retry_after: int | None) -> Response: ...

    @abstractmethod
    def unavailable(self) -> Response: ...

    @abstractmethod
    def not_found(self) -> Response: ...

    @abstractmethod
    def malformed_json(self, detail: str) -> Response: ...

    # -- plumbing --------------------------------------------------------------------------------------------

    def _endpoint(self, handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError as exc:
                self._record(request, raw.decode(errors="replace"))
                return self.malformed_json(str(exc))
            self._record(request, body)
            if self._faults:
                return self._faults.popleft()()
            if not self.authorized(request):
                return self.unauthorized()
            try:
                return handler(request, body)
            except Rejected as rejected:
                return rejected.response

        return endpoint

    def _record(self, request: Request, body: Any) -> None:
        self.requests.append(RecordedRequest(request.method, request.url.path, dict(request.query_params), body))


def digits(value: object) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


_MIN_PHONE_DIGITS = 7  # below this a suffix match would pair unrelated numbers


def phone_matches(stored: object, searched: object) -> bool:
    """Digits of one number end with the other's, so "+1 (555) 010-2000" matches "5550102000" either way."""
    a, b = digits(stored), digits(searched)
    if min(len(a), len(b)) < _MIN_PHONE_DIGITS:
        return False
    return a.endswith(b) or b.endswith(a)
