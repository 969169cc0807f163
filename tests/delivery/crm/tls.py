"""Real HTTPS on 127.0.0.1 for the CRM fakes: a throw-away CA (trustme) and a uvicorn server in a thread.

The SDKs under test build `https://` URLs themselves (simple-salesforce and zenpy cannot be told to use http), so
the fakes must speak TLS; trusting a private CA through each SDK's own `verify=`/`ssl_ca_cert=` option also tests
that the connector passes that option through instead of disabling verification.
"""

from __future__ import annotations

import atexit
import functools
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SharedServer", "TlsFiles", "ca_bundle", "serve_https", "shared_server", "tls_files"]

_STARTUP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA certificate clients trust, and the server's certificate and key for 127.0.0.1."""

    ca_path: str
    cert_path: str
    key_path: str


# One CA per test session: issuing is the slow part (RSA key generation), and nothing depends on a fresh one.
_tmpdir = tempfile.TemporaryDirectory(prefix="callpilot-crm-tls-")
atexit.register(_tmpdir.cleanup)


@functools.cache
def tls_files() -> TlsFiles:
    """The session's CA and 127.0.0.1 certificate, written once to a temporary directory removed at exit."""
    directory = Path(_tmpdir.name)
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(str(directory / "ca.pem"), str(directory / "server.pem"), str(directory / "server.key"))
    ca.cert_pem.write_to_path(files.ca_path)
    server_cert.private_key_pem.write_to_path(files.key_path)
    for i, blob in enumerate(server_cert.cert_chain_pems):
        blob.write_to_path(files.cert_path, append=i > 0)
    return files


def ca_bundle() -> str:
    """Path of the CA certificate (PEM) to pass as `requests.Session().verify` or HubSpot's `ssl_ca_cert`."""
    return tls_files().ca_path


@contextmanager
def serve_https(app: ASGIApp) -> Iterator[str]:
    """Serve `app` over HTTPS on a free 127.0.0.1 port; yields "https://127.0.0.1:PORT".

    The socket is bound here and handed to uvicorn, so no other process can take the port between choosing it
    and listening on it.
    """
    files = tls_files()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        _ConnectionClose(app), ssl_certfile=files.cert_path, ssl_keyfile=files.key_path,
        lifespan="off", log_level="warning", access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"fake-crm-{port}", daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_STARTUP_TIMEOUT_S)
        if thread.is_alive():  # a connection that will not close: drop it rather than hang the suite
            server.force_exit = True
            thread.join(timeout=_STARTUP_TIMEOUT_S)
        sock.close()


class SharedServer:
    """An app that forwards to whichever fake was plugged in last: one server per test module, a fresh fake per test.

    Starting a server is quick, but stopping one costs ~0.2 s (uvicorn's shutdown tick), which adds up per test.
    """

    def __init__(self) -> None:
        self.base_url = ""
        self._app: ASGIApp | None = None

    def serve(self, app: ASGIApp) -> str:
        """Route the server's requests to `app` from now on; returns the base URL."""
        self._app = app
        return self.base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._app is not None, "SharedServer.serve(app) was never called"
        await self._app(scope, receive, send)


@contextmanager
def shared_server() -> Iterator[SharedServer]:
    shared = SharedServer()
    with serve_https(shared) as base_url:
        shared.base_url = base_url
        yield shared


class _ConnectionClose:
    """Answer every request with `Connection: close`.

    An idle keep-alive TLS connection holds uvicorn's shutdown until the client answers the TLS close_notify, which
    an idle `requests` pool never does (10+ s per server); closing after each response costs one handshake instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the fake CRM server exited during start-up (see the uvicorn log above)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the fake CRM server did not start within {_STARTUP_TIMEOUT_S} s")
        time.sleep(0.01)
