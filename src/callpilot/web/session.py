"""The pages' sign-in: the API key, exchanged once for a cookie the browser sends with every request.

EventSource and WebSocket cannot set headers, and a key in the URL ends up in logs and history; a cookie does
not. The cookie holds an HMAC of the key, not the key: it is worthless elsewhere and changes when the key does.
It is HttpOnly (page scripts never see it) and SameSite=Strict (other sites' requests do not carry it, which is
the CSRF defence for the JSON POSTs the pages make).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import SecretStr

__all__ = ["COOKIE_NAME", "session_token", "valid_session"]

COOKIE_NAME = "callpilot_session"
_PURPOSE = b"callpilot web session v1"


def session_token(api_key: SecretStr) -> str:
    return hmac.new(api_key.get_secret_value().encode(), _PURPOSE, hashlib.sha256).hexdigest()


def valid_session(api_key: SecretStr, offered: str | None) -> bool:
    return bool(offered) and secrets.compare_digest(str(offered).encode(), session_token(api_key).encode())
