"""SIGKILL the server while webhook deliveries are in flight, restart it on the same database, and check that a
receiver deduplicating by ``webhook-id`` got every event once: nothing lost, and the only repeats are the
at-least-once resends of requests the dead server never saw answered (same id, same body), all signed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from callpilot.bench.server import fresh_postgres_database, wait_until_ready
from tests.api.conftest import free_port
from tests.conftest import POSTGRES_URL

KEY = "kill-delivery-key"
CALLS = 20
EVENT_TYPES = ("call_started", "call_ended")
EXPECTED = {(f"kill-{i:02d}", kind) for i in range(CALLS) for kind in EVENT_TYPES}
TIMEOUT_SECONDS = 2.0  # the server's delivery timeout, above the receiver's delays: no attempt times out
# The outbox leases the rows it claims (delivery.lease_seconds): rows claimed by the killed process come back only
# when the lease ends, so the restarted one must be given that long to resend them.
LEASE_SECONDS = 5.0
RECOVERY_SECONDS = LEASE_SECONDS + 30


@dataclass(frozen=True, slots=True)
class Received:
    msg_id: str
    event_type: str
    call_id: str
    body: bytes


class SlowReceiver:
    """Verifies every request's Standard Webhooks signature, records it on arrival, and answers 204 after 0.5 to
    1 s, staggered by arrival so that some answers are recorded while others are in flight. ``in_flight``: the
    ids whose handler has not returned (so not answered yet); ``answered``: how many handlers returned."""

    DELAYS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

    def __init__(self) -> None:
        self.verifier: Webhook | None = None  # set once the webhook is registered and its secret known
        self.received: list[Received] = []
        self.bad_signatures: list[str] = []
        self.in_flight: set[str] = set()
        self.answered = 0

    @property
    def distinct(self) -> set[str]:
        return {r.msg_id for r in self.received}

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        msg_id = request.headers.get("webhook-id", "")
        try:
            if self.verifier is None:
                raise WebhookVerificationError("no secret yet")
            payload = self.verifier.verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            self.bad_signatures.append(f"{msg_id}: {exc}")
            return web.Response(status=401)
        delay = self.DELAYS[len(self.received) % len(self.DELAYS)]
        self.received.append(Received(msg_id, payload["type"], payload["data"]["call_id"], body))
        self.in_flight.add(msg_id)
        try:
            await asyncio.sleep(delay)
        finally:
            self.in_flight.discard(msg_id)
            self.answered += 1
        return web.Response(status=204)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Listen on 127.0.0.1; yield the webhook URL."""
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}/hook"
        finally:
            await runner.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A throw-away database: a SQLite file, or a new database on CALLPILOT_TEST_POSTGRES_URL's server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kill.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need CALLPILOT_TEST_POSTGRES_URL")
    async with fresh_postgres_database(POSTGRES_URL) as (url, _version):
        yield url


def server_env(vault_key: str) -> dict[str, str]:
    return {
        **os.environ, "CALLPILOT_API_KEY": KEY, "CALLPILOT_LOG_LEVEL": "warning",
        # a persistent vault key: the restarted server must open the signing secret the first one sealed
        "CALLPILOT_VAULT_KEY": vault_key,
        "CALLPILOT_DELIVERY__ALLOW_NETWORKS": '["127.0.0.0/8"]',  # the receiver is on loopback
        "CALLPILOT_DELIVERY__POLL_SECONDS": "0.1",
        "CALLPILOT_DELIVERY__BASE_RETRY_SECONDS": "0.2",
        "CALLPILOT_DELIVERY__TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "CALLPILOT_DELIVERY__LEASE_SECONDS": str(LEASE_SECONDS),
        # the two events under test need no analyzer: a short chain starts fast and loads no model
        "CALLPILOT_PIPELINE__INLINE": '["pii", "talk_stats"]', "CALLPILOT_PIPELINE__BACKGROUND": "[]",
    }


async def start_server(db_url: str, port: int, log_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    with log_path.open("ab") as log:
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callpilot", "serve", "--port", str(port), "--db", db_url,
            env=env, stdout=log, stderr=subprocess.STDOUT)
    await wait_until_ready(f"http://127.0.0.1:{port}", lambda: server.returncode, what=f"server (log: {log_path})")
    return server


async def stop(server: asyncio.subprocess.Process) -> None:
    if server.returncode is None:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()


async def register(api: httpx.AsyncClient, hook_url: str) -> dict[str, Any]:
    """The webhook as created, with its secret."""
    created = await api.post("/v1/webhooks", json={"url": hook_url, "event_types": list(EVENT_TYPES)})
    assert created.status_code == 201, created.text
    hook = dict(created.json())
    assert hook["secret"].startswith("whsec_")
    return hook


async def place_calls(api: httpx.AsyncClient) -> None:
    """Start CALLS calls, then end them: two events each."""
    for i in range(CALLS):
        started = await api.post("/v1/calls", json={"call_id": f"kill-{i:02d}", "agent_id": "agent-1"})
        assert started.status_code == 201, started.text
    for i in range(CALLS):
        ended = await api.post(f"/v1/calls/kill-{i:02d}/end")
        assert ended.status_code == 200, ended.text


async def kill_mid_delivery(server: asyncio.subprocess.Process, receiver: SlowReceiver) -> set[str]:
    """SIGKILL the server once a few requests were answered and at least one is not; the ids in flight."""
    deadline = asyncio.get_running_loop().time() + 20
    while not (receiver.answered >= 5 and receiver.in_flight):
        assert server.returncode is None, "the server exited by itself"
        assert len(receiver.distinct) < len(EXPECTED), "every event was delivered before the kill: too late"
        assert asyncio.get_running_loop().time() < deadline, "no delivery reached the receiver in 20 s"
        await asyncio.sleep(0.01)
    # No await between the snapshot and the signal: no handler can return (and answer) in between, so the
    # server never saw these answered.
    in_flight = set(receiver.in_flight)
    server.send_signal(signal.SIGKILL)
    await server.wait()
    return in_flight


async def deliveries(api: httpx.AsyncClient, hook_id: str, status: str) -> list[dict[str, Any]]:
    answer = await api.get(f"/v1/webhooks/{hook_id}/deliveries", params={"status": status, "limit": 1000})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def wait_for_recovery(api: httpx.AsyncClient, hook_id: str, receiver: SlowReceiver) -> float:
    """Poll until the receiver saw every event and the server marked them all delivered (or the deadline);
    the seconds it took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < RECOVERY_SECONDS:
        if len(receiver.distinct) >= len(EXPECTED) and \
                len(await deliveries(api, hook_id, "delivered")) >= len(EXPECTED):
            break
        await asyncio.sleep(0.2)
    return loop.time() - start


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Run:
    in_flight_at_kill: set[str]
    answered_at_kill: int
    recovery_seconds: float
    delivered: list[dict[str, Any]]
    undelivered: list[dict[str, Any]]  # pending and dead


async def kill_and_restart(db_url: str, log_path: Path, receiver: SlowReceiver) -> Run:
    """Register, place the calls, SIGKILL the server mid-delivery, restart it (same port, same database) and
    wait until everything is delivered; what the delivery log says at the end."""
    port, env = free_port(), server_env(Fernet.generate_key().decode())
    async with receiver.serving() as hook_url, \
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": KEY}, timeout=10) as api:
        server = await start_server(db_url, port, log_path, env)
        try:
            hook = await register(api, hook_url)
            receiver.verifier = Webhook(hook["secret"])
            await place_calls(api)
            in_flight = await kill_mid_delivery(server, receiver)
            answered = receiver.answered
            server = await start_server(db_url, port, log_path, env)
            recovery = await wait_for_recovery(api, hook["id"], receiver)
            await asyncio.sleep(1.0)  # a late duplicate would arrive now
            return Run(in_flight, answered, recovery, await deliveries(api, hook["id"], "delivered"),
                       [*await deliveries(api, hook["id"], "pending"), *await deliveries(api, hook["id"], "dead")])
        finally:
            await stop(server)


async def test_sigkill_mid_delivery_loses_nothing_and_repeats_only_by_webhook_id(db_url: str, tmp_path: Path
                                                                                 ) -> None:
    log_path, receiver = tmp_path / "server.log", SlowReceiver()
    run = await kill_and_restart(db_url, log_path, receiver)

    by_id: dict[str, list[Received]] = defaultdict(list)
    ids_by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in receiver.received:
        by_id[r.msg_id].append(r)
        ids_by_pair[(r.call_id, r.event_type)].add(r.msg_id)
    repeated = {msg_id: rs for msg_id, rs in by_id.items() if len(rs) > 1}
    print(f"\n{db_url.split(':')[0]}: killed with {run.answered_at_kill} answered and {len(run.in_flight_at_kill)} "
          f"in flight; {len(receiver.received)} requests in all, {sum(len(rs) - 1 for rs in repeated.values())} "
          f"of them repeats (of {len(repeated)} ids); all delivered {run.recovery_seconds:.1f} s after the restart")

    assert not receiver.bad_signatures
    assert run.in_flight_at_kill, "the kill interrupted no delivery"
    context = f"server log:\n{log_tail(log_path)}"
    assert set(ids_by_pair) == EXPECTED, f"lost: {sorted(EXPECTED - set(ids_by_pair))}\n{context}"
    assert len(by_id) == len(EXPECTED)  # 40 distinct webhook-ids, one per (subscription, event)...
    assert all(len(ids) == 1 for ids in ids_by_pair.values()), ids_by_pair  # ...each event under one id only
    for msg_id, rs in repeated.items():  # a repeat is a resend of the same message
        assert {(r.event_type, r.call_id, r.body) for r in rs} == {(rs[0].event_type, rs[0].call_id, rs[0].body)}, \
            msg_id
    # what the dead server never saw answered had to be sent again
    assert run.in_flight_at_kill <= set(repeated), f"not resent: {sorted(run.in_flight_at_kill - set(repeated))}"
    assert {d["msg_id"]: (d["call_id"], d["event_type"]) for d in run.delivered} == \
        {msg_id: (rs[0].call_id, rs[0].event_type) for msg_id, rs in by_id.items()}, context
    assert all(d["status"] == "delivered" for d in run.delivered)
    assert run.undelivered == [], context
