"""The delivery benchmark: the outbox sending webhooks to a local receiver in another process.

- **Throughput:** a backlog of events already in the log, sent as fast as the outbox goes.
- **Latency:** events appended at a steady rate while the outbox runs as in the server (woken by this process's
  appends); the receiver measures each event's time from being recorded to being received.
- **Outage:** the receiver answers 503 for 10 minutes while a call a second keeps coming. The clock is
  simulated through the outage (the retries are scheduled, and counted, as they would be), then real: the time
  to drain is the wall time from the receiver coming back until it holds every event.
- **Duplicates:** the receiver counts accepted requests per ``webhook-id``.

The event log and the outbox are on SQLite (the embedded default) in a temporary directory.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from callpilot.analyzers.pii.vault import Vault
from callpilot.bench.server import _free_port
from callpilot.delivery.outbox.outbox import Outbox
from callpilot.delivery.outbox.retry import RetryPolicy
from callpilot.delivery.outbox.store import OutboxStore, Subscription
from callpilot.delivery.webhooks import UrlPolicy, generate_secret
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted
from callpilot.eventlog.sqlite import SqliteEventLog

__all__ = ["delivery_markdown", "run_delivery_bench"]


class _Receiver:
    def __init__(self, port: int, secret: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([sys.executable, "-m", "callpilot.bench.receiver", str(port), secret],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = httpx.AsyncClient(base_url=self.url, timeout=10)

    async def ready(self) -> None:
        for _ in range(200):
            if self.process.poll() is not None:
                raise RuntimeError(f"the benchmark's receiver exited with {self.process.returncode}")
            try:
                await self.client.get("/stats")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the benchmark's receiver did not start")

    async def control(self, **values: Any) -> None:
        (await self.client.post("/control", json=values)).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        return dict((await self.client.get("/stats")).json())

    async def until(self, unique: int, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        # polling another process over HTTP: there is no event to wait on
        while (stats := await self.stats())["unique"] < unique and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return stats

    async def close(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        self.process.wait(timeout=10)


class _Rig:
    """A fresh log and outbox store on SQLite with one webhook subscription to the receiver."""

    def __init__(self, folder: Path, name: str, receiver: _Receiver, secret: str, vault: Vault) -> None:
        path = folder / f"{name}.db"
        self.log = SqliteEventLog(str(path))
        self.store = OutboxStore(f"sqlite:///{path}")
        self.receiver, self.secret, self.vault = receiver, secret, vault
        self.calls = 0

    async def start(self) -> None:
        await self.log.start()
        self.store.add_subscription(Subscription(
            id="wh_bench", url=f"{self.receiver.url}/hook", event_types=("call_started", "call_ended"),
            secret_sealed=self.vault.seal(self.secret), description=None, enabled=True, disabled_reason=None,
            created_at=datetime.now(UTC)))

    def outbox(self, **options: Any) -> Outbox:
        async def no_state(call_id: str) -> CallState | None:
            return None

        return Outbox(store=self.store, log=self.log, vault=self.vault, states=no_state,
                      policy=UrlPolicy(allow=["127.0.0.1/32"]), **options)

    async def call(self) -> None:
        """One call: two events (started, ended) in the log."""
        self.calls += 1
        await self.log.append(f"bench-{self.calls}", [CallStarted(agent_id="a"), CallEnded()], expected_seq=0)

    async def close(self) -> None:
        self.store.engine.dispose()
        await self.log.close()


async def _throughput(rig: _Rig, events: int) -> dict[str, Any]:
    for _ in range(events // 2):
        await rig.call()
    outbox = rig.outbox()
    started = time.perf_counter()
    drained = asyncio.create_task(outbox.drain(rounds=10_000))
    stats = await rig.receiver.until(events, seconds=600)
    elapsed = time.perf_counter() - started
    await drained
    await outbox.close()
    return {"events": events, "delivered": stats["unique"], "seconds": round(elapsed, 2),
            "per_second": round(stats["unique"] / elapsed, 1)}


async def _latency(rig: _Rig, rate: float, seconds: float) -> dict[str, Any]:
    await rig.receiver.control(reset=True)
    outbox = rig.outbox()
    rig.log.add_listener(outbox.notify)
    runner = asyncio.create_task(outbox.run(poll_seconds=0.5))  # the server's default
    calls = int(rate * seconds / 2)
    started = time.perf_counter()
    for i in range(calls):
        await rig.call()
        await asyncio.sleep(max(0.0, started + (i + 1) * 2 / rate - time.perf_counter()))
    stats = await rig.receiver.until(calls * 2, seconds=120)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    await outbox.close()
    latencies = sorted(stats["latencies_ms"])
    return {"rate": rate, "events": calls * 2, "delivered": stats["unique"],
            "p50_ms": _pct(latencies, 50), "p95_ms": _pct(latencies, 95), "p99_ms": _pct(latencies, 99),
            "max_ms": latencies[-1] if latencies else None}


async def _outage(rig: _Rig, minutes: float, calls_per_second: float) -> dict[str, Any]:
    """Simulated time through the outage, then real time while the backlog drains."""
    await rig.receiver.control(reset=True, status=503)
    origin = datetime.now(UTC)
    offset = [0.0]  # simulated seconds since origin
    recovered_at: list[float] = []

    def clock() -> datetime:
        if recovered_at:  # real time from the moment the receiver is back
            return origin + timedelta(seconds=offset[0] + time.perf_counter() - recovered_at[0])
        return origin + timedelta(seconds=offset[0])

    outbox = rig.outbox(clock=clock, retry=RetryPolicy())  # the default schedule: 14 attempts over hours
    due = 0.0
    wall = time.perf_counter()
    for second in range(int(minutes * 60)):
        offset[0] = float(second)
        due += calls_per_second
        while due >= 1:
            await rig.call()
            due -= 1
        await outbox.drain(rounds=1000)
    outage_wall = time.perf_counter() - wall
    waiting = rig.store.deliveries(status="pending", limit=1_000_000)
    backlog = len(waiting)
    latest_retry = max((d.next_attempt_at for d in waiting), default=clock())
    during = await rig.receiver.stats()
    await rig.receiver.control(status=204)
    offset[0] = minutes * 60
    recovered_at.append(time.perf_counter())
    await rig.call()  # calls keep coming
    total = rig.calls * 2
    stats = await _drain_until(outbox, rig.receiver, total)
    drain_seconds = time.perf_counter() - recovered_at[0]
    await outbox.close()
    dead = len(rig.store.deliveries(status="dead", limit=1_000_000))
    return {"minutes": minutes, "calls_per_second": calls_per_second, "backlog": backlog,
            "failed_attempts": during["refused"], "outage_wall_seconds": round(outage_wall, 1),
            "drain_seconds": round(drain_seconds, 2), "delivered": stats["unique"], "expected": total,
            "dead": dead, "duplicates": stats["duplicates"],
            "next_retry_without_pull_forward_s": round((latest_retry - origin).total_seconds() - minutes * 60, 1)}


async def _drain_until(outbox: Outbox, receiver: _Receiver, total: int) -> dict[str, Any]:
    for _ in range(10_000):
        await outbox.drain(rounds=1)
        stats = await receiver.stats()
        if stats["unique"] >= total:
            return stats
    return await receiver.stats()


def _pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


async def _run(smoke: bool) -> dict[str, Any]:
    secret, vault = generate_secret(), Vault(Fernet.generate_key().decode())
    receiver = _Receiver(_free_port(), secret)
    await receiver.ready()
    result: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="callpilot-bench-delivery-") as folder:
            for name in ("throughput", "latency", "outage"):
                await receiver.control(reset=True, status=204)
                rig = _Rig(Path(folder), name, receiver, secret, vault)
                await rig.start()
                try:
                    if name == "throughput":
                        result[name] = await _throughput(rig, 200 if smoke else 5000)
                    elif name == "latency":
                        result[name] = await _latency(rig, rate=50.0, seconds=2 if smoke else 30)
                    else:
                        result[name] = await _outage(rig, minutes=0.5 if smoke else 10.0, calls_per_second=1.0)
                finally:
                    await rig.close()
                result[name]["bad_signatures"] = (await receiver.stats())["bad_signatures"]
    finally:
        await receiver.close()
    return result


def run_delivery_bench(*, smoke: bool) -> tuple[dict[str, Any], list[str]]:
    result = asyncio.run(_run(smoke))
    return result, delivery_markdown(result)


def delivery_markdown(result: dict[str, Any]) -> list[str]:
    t, lat, out = result["throughput"], result["latency"], result["outage"]
    ok = (t["delivered"] == t["events"] and lat["delivered"] == lat["events"]
          and out["delivered"] == out["expected"] and out["duplicates"] == 0 and out["dead"] == 0)
    return [
        "## Delivery: webhooks from the outbox",
        "",
        "A webhook receiver in its own process verifies every signature and counts by `webhook-id`; the outbox "
        "and the event log are on SQLite (the embedded default), 16 deliveries in flight.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| throughput, a backlog of {t['events']} events | {t['per_second']} deliveries/s "
        f"({t['delivered']}/{t['events']} in {t['seconds']} s) |",
        f"| latency, event recorded → received, {lat['rate']:.0f} events/s for {lat['events']} events "
        f"| p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms |",
        f"| receiver down {out['minutes']:g} min, a call a second ({out['backlog']} events waiting, "
        f"{out['failed_attempts']} failed attempts) | drained {out['drain_seconds']} s after it came back; "
        f"{out['delivered']}/{out['expected']} delivered, {out['dead']} dead letters |",
        f"| delivered twice (by `webhook-id`) | {out['duplicates']} in the outage run |",
        "",
        f"Without sending a recovered receiver's backlog at once, the last waiting event's next retry would "
        f"have come {out['next_retry_without_pull_forward_s']} s after the receiver was back (exponential "
        "backoff). Simulated time runs through the outage (its retries are scheduled and made as they would be); "
        "the drain is measured on the real clock."
        + ("" if ok else " **Something was lost, duplicated or dead: see the numbers above.**"),
        "",
    ]


if __name__ == "__main__":
    data, markdown = run_delivery_bench(smoke="--smoke" in sys.argv)
    print("\n".join(markdown))
