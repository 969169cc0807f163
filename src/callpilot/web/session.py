"""The pages' sign-in: the API key, exchanged once for a cookie the browser sends with every request.

EventSource and WebSocket cannot set headers, and a key in the URL ends up in logs and history; a cookie does
not. The cookie is a timestamp signed with a secret derived from the key (itsdangerous' TimestampSigner), not the
key: it is worthless elsewhere, it expires (``web.session_hours``), and every cookie dies when the key changes.
It is HttpOnly (page scripts never see it) and SameSite=Strict (other sites' requests do not carry it). As a
second defence against cross-site requests, a cookie-signed-in request that changes something, and every
WebSocket, must come from a page of this server: its ``Origin``, when the browser sends one, must name this host.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from pydantic import SecretStr

__all__ = ["COOKIE_NAME", "SAFE_METHODS", "same_origin", "session_token", "valid_session"]

COOKIE_NAME = "callpilot_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PURPOSE = b"callpilot web session v2"
_PAYLOAD = b"web"


def _signer(api_key: SecretStr) -> TimestampSigner:
    # A secret of its own, derived from the key: the cookie's signature never exposes the key itself.
    secret = hmac.new(api_key.get_secret_value().encode(), _PURPOSE, hashlib.sha256).digest()
    return TimestampSigner(secret, salt="callpilot.web.session")


def session_token(api_key: SecretStr) -> str:
    """A new session cookie value, signed now."""
    return _signer(api_key).sign(_PAYLOAD).decode()


def valid_session(api_key: SecretStr, offered: str | None, *, max_age_seconds: float) -> bool:
    """The cookie was signed with this key and is younger than ``max_age_seconds``."""
    if not offered:
        return False
    try:
        return bool(_signer(api_key).unsign(offered, max_age=int(max_age_seconds)) == _PAYLOAD)
    except (SignatureExpired, BadSignature):
        return False


def same_origin(headers: Mapping[str, str]) -> bool:
    """The request's ``Origin`` (sent by browsers on WebSockets and on cross-site and unsafe requests) names this
    server's host, or there is none (a client that is not a browser, which a cookie is not sent from by a page)."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin == "null":  # sandboxed frames, file:// pages: never one of ours
        return False
    host = headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()
