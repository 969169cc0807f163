"""Webhooks through the real app: register, receive signed events from a replayed call, test, disable,
dead letters and redelivery, refused URLs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook

from callpilot.core.settings import Settings, load_settings
from tests.aftercall.fixtures import VAULT_KEY
from tests.api.conftest import API_KEY, send_segment, start_call
from tests.fake_llm import serving_app


@pytest.fixture
def settings() -> Settings:
    return load_settings(None, api_key=API_KEY, vault_key=VAULT_KEY,
                         pipeline={"inline": ["pii", "talk_stats"], "background": ["aftercall"]},
                         delivery={"allow_networks": ["127.0.0.1/32"], "poll_seconds": 0.05,
                                   "base_retry_seconds": 0.05})


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.received: list[dict[str, Any]] = []
        self.status = 204
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            assert self.secret is not None
            payload = Webhook(self.secret).verify(await request.body(), dict(request.headers))
            self.received.append(payload | {"webhook-id": request.headers["webhook-id"]})
            return Response(status_code=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    r = Receiver()
    async with serving_app(r.app) as base:
        yield r, f"{base}/hook"


async def _until(check: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_a_registered_receiver_gets_the_call_and_its_wrap_up(client: httpx.AsyncClient,
                                                                    receiver: tuple[Receiver, str]) -> None:
    r, url = receiver
    created = await client.post("/v1/webhooks", json={"url": url, "event_types": ["call_started", "call_ended",
                                                                                  "call_analyzed"]})
    assert created.status_code == 201, created.text
    r.secret = created.json()["secret"]
    assert r.secret.startswith("whsec_")
    listed = (await client.get("/v1/webhooks")).json()
    assert listed[0]["id"] == created.json()["id"] and listed[0]["secret"] is None  # shown once
    await start_call(client, "wh-call")
    await send_segment(client, "wh-call", "thanks so much, that fixed it, that's all i needed", speaker="customer")
    await client.post("/v1/calls/wh-call/end")
    await _until(lambda: {p["type"] for p in r.received} >= {"call_started", "call_ended"})
    types = [p["type"] for p in r.received]
    assert types.index("call_started") < types.index("call_ended")
    assert all(p["data"]["call_id"] == "wh-call" for p in r.received)
    if "call_analyzed" in types:  # auto-approved: the wrap-up went out too
        analyzed = next(p for p in r.received if p["type"] == "call_analyzed")
        assert analyzed["data"]["analysis"]["schema_version"] == 1
    log = (await client.get(f"/v1/webhooks/{created.json()['id']}/deliveries")).json()
    assert {d["status"] for d in log} <= {"delivered", "pending"}
    # the wrap-up panel's "what was delivered where": the call's rows, to every destination
    await start_call(client, "wh-other")
    by_call = (await client.get("/v1/calls/wh-call/deliveries")).json()
    assert {(d["destination"], d["call_id"]) for d in by_call} == {(created.json()["id"], "wh-call")}
    assert {d["event_type"] for d in by_call} >= {"call_started", "call_ended"}
    assert (await client.get("/v1/calls/no-such-call/deliveries")).status_code == 404


async def test_test_event_disable_dead_letter_and_redelivery(client: httpx.AsyncClient,
                                                             receiver: tuple[Receiver, str]) -> None:
    r, url = receiver
    created = (await client.post("/v1/webhooks", json={"url": url, "event_types": ["*"]})).json()
    r.secret, hook_id = created["secret"], created["id"]
    r.status = 400  # the receiver refuses: a dead letter, not retried
    test = await client.post(f"/v1/webhooks/{hook_id}/test")
    assert test.status_code == 202
    msg_id = test.json()["msg_id"]
    await _until(lambda: len(r.received) == 1)
    dead: list[dict[str, Any]] = []

    async def dead_letters() -> list[dict[str, Any]]:
        return list((await client.get(f"/v1/webhooks/{hook_id}/deliveries", params={"status": "dead"})).json())

    for _ in range(100):
        dead = await dead_letters()
        if dead:
            break
        await asyncio.sleep(0.05)
    assert dead and dead[0]["msg_id"] == msg_id and dead[0]["last_status"] == 400
    r.status = 204
    assert (await client.post(f"/v1/webhooks/deliveries/{msg_id}/redeliver")).status_code == 202
    await _until(lambda: len(r.received) == 2)
    assert r.received[0]["webhook-id"] == r.received[1]["webhook-id"] == msg_id  # the same id on every attempt
    disabled = (await client.post(f"/v1/webhooks/{hook_id}/disable")).json()
    assert disabled["enabled"] is False
    assert (await client.post(f"/v1/webhooks/{hook_id}/test")).status_code == 422
    assert (await client.delete(f"/v1/webhooks/{hook_id}")).status_code == 204
    assert (await client.get(f"/v1/webhooks/{hook_id}")).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://example.com/x", "event_types": ["call_ended"]}, "url"),
    ({"url": "http://169.254.169.254/latest", "event_types": ["call_ended"]}, "url"),
    ({"url": "http://10.0.0.8/hook", "event_types": ["call_ended"]}, "url"),
    ({"url": "https://hooks.example.com/x", "event_types": ["nope"]}, "event_types"),
    ({"url": "https://hooks.example.com/x", "event_types": []}, "event_types"),
])
async def test_bad_registrations_are_refused(client: httpx.AsyncClient, body: dict[str, Any], field: str) -> None:
    response = await client.post("/v1/webhooks", json=body)
    assert response.status_code == 422, response.text
    assert any(field in f["field"] for f in response.json()["error"]["fields"])
