"""The load generator: N concurrent calls, each with its own WebSocket, posting segments on a schedule.

Latency is measured from the moment a segment was *due* to be sent to the moment its SegmentReceived event
arrives on that call's WebSocket, so a server that falls behind cannot hide it by slowing the sender
(coordinated omission).

The client side uses aiohttp rather than httpx (which the replay CLI uses): on a 2-core machine the load
generator shares the CPU with the server, and httpx spent about 2 ms of CPU per request, making the
generator, not the server, the bottleneck.

Each run gets a fresh process (:func:`run_load_isolated`), so that nothing of one run's generator (memory,
connections, garbage-collector state) carries into the next.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from callpilot.core.errors import CallpilotError

__all__ = ["LoadResult", "run_load", "run_load_isolated"]


@dataclass
class LoadResult:
    name: str
    calls: int
    target_rate: float | None
    duration: float = 0.0
    sent: int = 0
    delivered: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # due -> on the WebSocket, seconds
    post_latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.delivered / self.duration if self.duration else 0.0

    def percentile(self, p: float, values: list[float] | None = None) -> float:
        data = sorted(self.latencies if values is None else values)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(message)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name, "calls": self.calls, "target_rate": self.target_rate,
            "duration_s": round(self.duration, 2), "sent": self.sent, "delivered": self.delivered,
            "errors": self.errors, "error_samples": self.error_samples, "segments_per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile(50) * 1000, 2), "p95_ms": round(self.percentile(95) * 1000, 2),
            "p99_ms": round(self.percentile(99) * 1000, 2),
            "post_p50_ms": round(self.percentile(50, self.post_latencies) * 1000, 2),
            "post_p99_ms": round(self.percentile(99, self.post_latencies) * 1000, 2),
        }


async def run_load(url: str, api_key: str, *, name: str, calls: int, duration: float, texts: list[str],
                   rate: float | None = None, pace: list[list[float]] | None = None) -> LoadResult:
    """``rate``: total segments/s spread evenly over the calls (open loop); ``pace``: per-call offsets in
    seconds (real-time replay of recorded calls); neither: every call sends its next segment as soon as the
    previous one is answered (saturation)."""
    result = LoadResult(name=name, calls=calls, target_rate=rate)
    run = uuid.uuid4().hex[:6]
    headers = {"X-API-Key": api_key}
    connector = aiohttp.TCPConnector(limit=calls + 10)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url=url, headers=headers, connector=connector, timeout=timeout,
                                     json_serialize=lambda o: orjson.dumps(o).decode()) as client:
        sockets = await asyncio.gather(*(_open_call(client, f"bench-{run}-{i}") for i in range(calls)))
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(*(
            _call(client, ws, call_id, result, texts, i, calls, started, deadline, rate,
                  pace[i % len(pace)] if pace else None)
            for i, (call_id, ws) in enumerate(sockets)))
        result.duration = time.perf_counter() - started
    return result


async def _open_call(client: aiohttp.ClientSession, call_id: str
                     ) -> tuple[str, aiohttp.ClientWebSocketResponse]:
    async with client.post("/api/realtime/call/start", json={"call_id": call_id, "agent_id": "bench"}) as r:
        r.raise_for_status()
    ws = await client.ws_connect(f"/api/realtime/ws/{call_id}", compress=0, max_msg_size=0)
    return call_id, ws


async def _call(client: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, call_id: str, result: LoadResult,
                texts: list[str], index: int, calls: int, started: float, deadline: float, rate: float | None,
                pace: list[float] | None) -> None:
    due_at: dict[str, float] = {}
    done = asyncio.Event()
    receiver = asyncio.create_task(_receive(ws, due_at, result, done))
    k = 0
    try:
        while True:
            if rate is not None:
                due = started + (index / calls + k) * calls / rate
            elif pace is not None:
                if k >= len(pace):
                    break
                due = started + pace[k]
            else:
                due = time.perf_counter()
            if due >= deadline:
                break
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            segment_id = f"{call_id}-{k}"
            due_at[segment_id] = due
            sent = time.perf_counter()
            try:
                async with client.post("/api/realtime/transcription", data=orjson.dumps({
                    "session_id": call_id, "speaker": "customer" if k % 2 else "agent",
                    "text": texts[(index + k) % len(texts)], "start_time": k * 2.0, "end_time": k * 2.0 + 1.5,
                    "segment_id": segment_id}), headers={"content-type": "application/json"}) as response:
                    body = await response.read()
                if response.status != 200:
                    result.error(f"HTTP {response.status}: {body[:200]!r}")
                    due_at.pop(segment_id, None)
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.error(f"{type(exc).__name__}: {exc}")
                due_at.pop(segment_id, None)
            result.post_latencies.append(time.perf_counter() - sent)
            result.sent += 1
            k += 1
        async with client.post("/api/realtime/call/end", json={"session_id": call_id}) as response:
            await response.read()
        try:
            await asyncio.wait_for(done.wait(), 30)
        except TimeoutError:
            result.error(f"{call_id}: CallEnded did not arrive within 30 s")
    finally:
        receiver.cancel()
        await ws.close()


async def _receive(ws: aiohttp.ClientWebSocketResponse, due_at: dict[str, float], result: LoadResult,
                   done: asyncio.Event) -> None:
    async for message in ws:
        if message.type != aiohttp.WSMsgType.TEXT:
            break
        event = orjson.loads(message.data)
        kind = event.get("type")
        if kind == "SegmentReceived":
            due = due_at.pop(event["data"]["segment_id"], None)
            if due is not None:
                result.latencies.append(time.perf_counter() - due)
                result.delivered += 1
        elif kind == "CallEnded":
            done.set()
            return


async def run_load_isolated(url: str, api_key: str, **spec: Any) -> LoadResult:
    """:func:`run_load` in a new process of its own; same arguments."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callpilot.bench.load", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate(json.dumps({"url": url, "api_key": api_key, **spec}).encode())
    if proc.returncode != 0:
        raise CallpilotError(f"load generator failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return LoadResult(**json.loads(out))


def main() -> None:
    """Read a run_load spec as JSON on stdin, write the LoadResult as JSON on stdout."""
    spec = json.loads(sys.stdin.read())
    url, api_key = spec.pop("url"), spec.pop("api_key")
    result = asyncio.run(run_load(url, api_key, **spec))
    sys.stdout.write(json.dumps(dataclasses.asdict(result)))


if __name__ == "__main__":
    main()
