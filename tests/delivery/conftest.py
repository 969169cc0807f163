"""Fixtures for tests that talk to the CRM fakes over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from tests.api.conftest import free_port
from tests.delivery.crm.tls import SharedServer, shared_server
from tests.delivery.smtp import Recorder


@pytest.fixture(scope="module")
def crm_server() -> Iterator[SharedServer]:
    """One HTTPS server on 127.0.0.1 per module; `crm_server.serve(fake.app)` returns its base URL."""
    with shared_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _requests_uses_session_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override Session.verify (psf/requests#3829), so with either
    # set (as on this machine) the test CA would be ignored and every call would fail certificate verification.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives."""
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()
