"""Which webhook URLs callpilot may call: http(s) only, and never an internal address unless allowed.

A webhook URL is user input that makes the server send requests, the classic server-side request forgery
hole. The host is checked when the webhook is registered and again, on every resolved address, right before
each delivery (a name can be re-pointed at an internal address after registration: DNS rebinding). Blocked
unless listed in ``allow`` (CIDRs, e.g. ``10.0.0.0/8`` for an internal receiver, ``127.0.0.1/32`` in tests):
loopback, private, link-local (with the cloud metadata address 169.254.169.254), carrier-grade NAT, multicast,
reserved and unspecified ranges, for IPv4 and IPv6.

Hand-written on purpose: the checks are a few lines over the standard library's ``ipaddress``, and the
SSRF-filter packages on PyPI wrap a particular HTTP client rather than giving a policy to call.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from callpilot.core.errors import ConfigError, InvalidInput

__all__ = ["IPAddress", "UrlPolicy"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALWAYS_BLOCKED = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UrlPolicy:
    """``allow``: networks that may be called although internal (the metadata addresses never may)."""

    def __init__(self, *, allow: Iterable[str] = ()) -> None:
        try:
            self.allow = tuple(ipaddress.ip_network(n, strict=False) for n in allow)
        except ValueError as exc:
            raise ConfigError(f"webhooks allow-list: {exc}") from exc

    def check_url(self, url: str, *, resolve: bool = True) -> str:
        """The URL's host, or InvalidInput (field ``url``) saying what is wrong with it. With ``resolve``, every
        address the host resolves to must be allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise InvalidInput(f"webhook URL must be http or https, not {parts.scheme or 'missing'!r}", field="url")
        if not parts.hostname:
            raise InvalidInput("webhook URL has no host", field="url")
        if parts.username or parts.password:
            raise InvalidInput("webhook URL must not carry credentials; use the signing secret", field="url")
        host = parts.hostname
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            self.check_address(literal)
        elif resolve:
            self.check_addresses(self.resolve(host, parts.port or (443 if parts.scheme == "https" else 80)))
        return host

    def check_addresses(self, addresses: Sequence[IPAddress]) -> None:
        if not addresses:
            raise InvalidInput("webhook host does not resolve", field="url")
        for address in addresses:
            self.check_address(address)

    def check_address(self, address: IPAddress) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in _ALWAYS_BLOCKED):
            raise InvalidInput(f"webhook address {address} is a cloud metadata address", field="url")
        if any(address in net for net in self.allow):
            return
        if (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified or address in _CGNAT):
            raise InvalidInput(f"webhook address {address} is internal; add it to the webhooks allow-list to "
                               "call it", field="url")

    @staticmethod
    def resolve(host: str, port: int) -> list[IPAddress]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise InvalidInput(f"webhook host {host!r} does not resolve: {exc.strerror}", field="url") from exc
        return [ipaddress.ip_address(info[4][0]) for info in infos]
