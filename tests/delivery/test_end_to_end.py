"""The issue's "done when": a sample call replayed through the real server delivers its approved wrap-up to a
webhook receiver (signature verified), an SMTP server and the three CRM fakes; the caller is looked up in each
CRM when the call starts; a negative ending schedules a callback that becomes a task in each CRM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from callpilot.core.settings import Settings, load_settings
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.replay.client import replay_call
from callpilot.replay.transcript import load_transcript
from callpilot.runtime import Runtime, open_runtime
from tests.aftercall.fixtures import VAULT_KEY
from tests.api.conftest import API_KEY, serving
from tests.delivery.crm.fakes import FakeHubSpot, FakeSalesforce, FakeZendesk
from tests.delivery.crm.tls import ca_bundle, serve_https
from tests.delivery.smtp import Recorder
from tests.fake_llm import serving_app

CALL = Path(__file__).resolve().parents[2] / "examples" / "calls" / "billing_dispute_escalation.json"
AGENT_EMAIL = "kevin.marsh@example.com"


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            payload = Webhook(self.secret).verify(await request.body(), dict(request.headers))  # or it raises
            self.received.append(payload | {"webhook-id": request.headers["webhook-id"]})
            return Response(status_code=204)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [p for p in self.received if p["type"] == kind]


@pytest.fixture
def crms() -> Iterator[tuple[FakeSalesforce, FakeHubSpot, FakeZendesk, dict[str, Any]]]:
    """The three fakes on their own HTTPS servers, each knowing the sample call's customer, and the settings
    that point at them."""
    salesforce, hubspot, zendesk = FakeSalesforce(), FakeHubSpot(), FakeZendesk()
    salesforce.seed_contact("003000000000067AAA", "Jordan Ellis", "(555) 491-0163")
    hubspot.seed_contact("6712", firstname="Jordan", lastname="Ellis", phone="+1 555 491 0163")
    zendesk.seed_user(67120, "Jordan Ellis", phone="+1 555 491 0163")
    ca = ca_bundle()
    with serve_https(salesforce.app) as sf_url, serve_https(hubspot.app) as hs_url, \
            serve_https(zendesk.app) as zd_url:
        crm = {"salesforce": {"instance_url": sf_url, "access_token": salesforce.token, "ca_bundle": ca},
               "hubspot": {"access_token": hubspot.token, "base_url": hs_url, "ca_bundle": ca},
               "zendesk": {"base_url": zd_url, "email": zendesk.email, "token": zendesk.token, "ca_bundle": ca}}
        yield salesforce, hubspot, zendesk, crm


@pytest.fixture
async def server(tmp_path: Path, smtp: tuple[Recorder, int],
                 crms: tuple[FakeSalesforce, FakeHubSpot, FakeZendesk, dict[str, Any]]
                 ) -> AsyncIterator[tuple[str, Runtime]]:
    settings: Settings = load_settings(None, api_key=API_KEY, vault_key=VAULT_KEY, delivery={
        "allow_networks": ["127.0.0.1/32"], "poll_seconds": 0.05, "base_retry_seconds": 0.05,
        "email": {"host": "127.0.0.1", "port": smtp[1], "start_tls": False, "sender": "callpilot@example.com",
                  "agents": {"agt-3315": AGENT_EMAIL}, "transcript_url": "https://cp.example.com/calls/{call_id}"},
        "crm": crms[3]})
    runtime = await open_runtime(settings, log=SqliteEventLog(str(tmp_path / "e2e.db")))
    try:
        async with serving(settings, runtime) as url:
            yield url, runtime
    finally:
        await runtime.close()


async def _until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_replayed_call_lands_everywhere(server: tuple[str, Runtime], smtp: tuple[Recorder, int],
                                                crms: tuple[FakeSalesforce, FakeHubSpot, FakeZendesk,
                                                            dict[str, Any]]) -> None:
    url, runtime = server
    salesforce, hubspot, zendesk, _ = crms
    receiver = Receiver()
    async with serving_app(receiver.app) as hooks, httpx.AsyncClient(
            base_url=url, headers={"X-API-Key": API_KEY}, timeout=30) as client:
        created = await client.post("/v1/webhooks", json={"url": f"{hooks}/hook", "event_types": [
            "call_analyzed", "customer_identified", "callback_scheduled"]})
        assert created.status_code == 201, created.text
        receiver.secret = created.json()["secret"]
        await replay_call(client, load_transcript(CALL), call_id="e2e-1", speed=500, wrap_up_seconds=20)
        call = (await client.get("/v1/calls/e2e-1")).json()
        # the caller was looked up in each CRM when the call started, for the agent's screen
        await _until(lambda: len(receiver.of("customer_identified")) == 3)
        assert {p["data"]["crm"]: p["data"]["record_id"] for p in receiver.of("customer_identified")} == {
            "salesforce": "003000000000067AAA", "hubspot": "6712", "zendesk": "67120"}
        state = await runtime.calls.get_call("e2e-1")
        if state.analyzers["aftercall"]["status"] != "approved":  # sent to review: a reviewer approves it
            approved = await client.post("/v1/calls/e2e-1/analysis/approve",
                                         json={"revision": state.analyzers["aftercall"]["revision"],
                                               "approved_by": "sup-1"})
            assert approved.status_code == 200, approved.text
        await _until(lambda: len(receiver.of("call_analyzed")) == 1 and len(smtp[0].messages) == 1
                     and len(salesforce.records("Task")) >= 1 and len(hubspot.records("notes")) == 1
                     and len(zendesk.tickets()) >= 1)
        assert call["call_id"] == "e2e-1"
    [analyzed] = receiver.of("call_analyzed")
    analysis = analyzed["data"]["analysis"]
    bullets = analysis["summary"]["bullets"]
    assert analyzed["data"]["customer"]["crm"]["hubspot"]["record_id"] == "6712"
    assert "+1 555 491 0163" not in str(receiver.received) and "Jordan" not in str(receiver.received)
    # the agent's email: the three bullets and the transcript link
    [mail] = smtp[0].messages
    assert mail["To"] == AGENT_EMAIL
    text = mail.as_string()
    assert all(b[:30] in text for b in bullets) and "https://cp.example.com/calls/e2e-1" in text
    # the CRMs: the wrap-up on the customer's record
    task = next(t for t in salesforce.records("Task") if t.get("TaskSubtype") == "Call" and t["Status"] == "Completed")
    assert task["WhoId"] == "003000000000067AAA" and task["CallDisposition"] == analysis["disposition"]["value"]
    [note] = hubspot.records("notes")
    assert note["associations"] == [("6712", 202)] and bullets[0][:30] in note["properties"]["hs_note_body"]
    ticket = next(t for t in zendesk.tickets() if t.get("type") != "task")
    assert ticket["requester_id"] == 67120 and ticket["comments"][0]["public"] is False
    # the customer ended angry: a callback, as an event, a webhook and a task in each CRM
    state = await runtime.calls.get_call("e2e-1")
    assert "callback" in state.analyzers, "the sample call should end negative"
    await _until(lambda: len(receiver.of("callback_scheduled")) == 1 and len(hubspot.records("tasks")) == 1
                 and len(salesforce.records("Task")) == 2 and len(zendesk.tickets()) == 2)
    [callback] = receiver.of("callback_scheduled")
    assert callback["data"]["agent_id"] == "agt-3315" and callback["data"]["priority"] == "high"
    assert any(t["Status"] == "Not Started" for t in salesforce.records("Task"))
    assert any(t.get("type") == "task" for t in zendesk.tickets())
    # every delivery delivered, none twice
    rows = runtime.webhooks.store.deliveries(limit=1000)
    assert rows and {r.status for r in rows} == {"delivered"}
    assert len({r.msg_id for r in rows}) == len(rows)
    assert len(receiver.received) == len({p["webhook-id"] for p in receiver.received})
