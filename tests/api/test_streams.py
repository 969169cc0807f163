"""Live streams over a real server: order, positions as ids, resuming, WebSocket messages, heartbeats."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
import websockets
from httpx_sse import aconnect_sse

from callpilot.core.settings import Settings
from callpilot.runtime import Runtime
from tests.api.conftest import API_KEY, send_segment, serving, start_call


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


async def read_sse(client: httpx.AsyncClient, path: str, count: int, headers: dict[str, str] | None = None
                   ) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    async with aconnect_sse(client, "GET", path, headers=headers or {}) as source:
        async for sse in source.aiter_sse():
            out.append((sse.id, sse.event, orjson.loads(sse.data)))
            if len(out) == count:
                break
    return out


async def test_sse_delivers_in_order_and_resumes_exactly(live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        await start_call(client, "s-1")
        for i in range(4):
            await send_segment(client, "s-1", f"segment {i}", start=i, end=i + 0.5)
        first = await read_sse(client, "/api/realtime/stream/s-1", 5)
        assert [e for _, e, _ in first] == ["CallStarted", "SegmentReceived", "TalkStatsUpdated",
                                            "SegmentReceived", "TalkStatsUpdated"]
        assert [int(i) for i, _, _ in first] == [d["position"] for _, _, d in first]
        # reconnect with Last-Event-ID: exactly what was missed, nothing twice
        rest = await read_sse(client, "/api/realtime/stream/s-1", 4, {"Last-Event-ID": first[-1][0]})
        assert [d["seq"] for _, _, d in rest] == [6, 7, 8, 9]
        # ?after= is the same for clients that cannot set headers; the /v1 events route streams too
        resumed = await read_sse(client, f"/v1/calls/s-1/events?after={first[2][0]}", 2,
                                 {"Accept": "text/event-stream"})
        assert [d["seq"] for _, _, d in resumed] == [4, 5]
        # live: an event posted after connecting arrives too
        reader = asyncio.create_task(read_sse(client, f"/api/realtime/stream/s-1?after={rest[-1][0]}", 2))
        await asyncio.sleep(0.2)
        await send_segment(client, "s-1", "late words", start=9, end=10)
        live = await asyncio.wait_for(reader, 10)
        assert live[0][2]["data"]["text"] == "late words"


async def test_sse_of_unknown_call_is_404(live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        response = await client.get("/api/realtime/stream/nope")
        assert response.status_code == 404


async def test_websocket_pushes_events_and_takes_feedback(live_url: str, runtime: Runtime) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        await start_call(client, "w-1")
        async with websockets.connect(ws_url(live_url, "/api/realtime/ws/w-1"),
                                      additional_headers={"X-API-Key": API_KEY}) as ws:
            assert orjson.loads(await ws.recv())["type"] == "CallStarted"
            await send_segment(client, "w-1", "where is my order", start=1, end=2)
            pushed = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert pushed["type"] == "SegmentReceived" and pushed["data"]["text"] == "where is my order"
            assert orjson.loads(await ws.recv())["type"] == "TalkStatsUpdated"

            await ws.send(orjson.dumps({"type": "feedback", "suggestion_id": "kb-12", "feedback": "helpful"}).decode())
            frames = [orjson.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            kinds = {f["type"] for f in frames}
            assert kinds == {"feedback_recorded", "SuggestionFeedbackGiven"}

            for bad, code in [("not json", "malformed_json"), ('{"no": "type"}', "bad_message"),
                              ('{"type": "dance"}', "unknown_type"),
                              ('{"type": "feedback", "suggestion_id": "x", "feedback": "meh"}', "rejected")]:
                await ws.send(bad)
                answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                assert answer == answer | {"type": "error", "code": code}, bad
            await ws.send('{"type": "ping"}')
            assert orjson.loads(await ws.recv()) == {"type": "pong"}
    state = await runtime.calls.get_call("w-1")
    assert state.feedback[0]["suggestion_id"] == "kb-12"


@pytest.mark.parametrize("path, headers, code", [
    ("/api/realtime/ws/w-2", {}, 4401),
    ("/api/realtime/ws/w-2", {"X-API-Key": "wrong"}, 4401),
    ("/api/realtime/ws/unknown", {"X-API-Key": API_KEY}, 1008),
    ("/v1/calls/unknown/events/ws", {"X-API-Key": API_KEY}, 1008),
])
async def test_websocket_refusals(live_url: str, path: str, headers: dict[str, str], code: int) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        await start_call(client, "w-2")
    with pytest.raises(websockets.exceptions.WebSocketException) as info:
        async with websockets.connect(ws_url(live_url, path), additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), 5)
    assert str(code) in str(info.value)


async def test_api_key_in_query_for_browsers(live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        await start_call(client, "w-3")
    async with websockets.connect(ws_url(live_url, f"/v1/calls/w-3/events/ws?api_key={API_KEY}")) as ws:
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "CallStarted"


async def test_supervisor_stream_sees_every_call(live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url, headers={"X-API-Key": API_KEY}) as client:
        await start_call(client, "old")
        async with websockets.connect(ws_url(live_url, "/v1/stream/ws"),
                                      additional_headers={"X-API-Key": API_KEY}) as ws:
            await start_call(client, "sup-a")
            await start_call(client, "sup-b")
            await send_segment(client, "sup-a", "hello")
            got = [orjson.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(4)]
        # starts at the live edge: "old" happened before the subscription
        assert [(e["call_id"], e["type"]) for e in got] == [
            ("sup-a", "CallStarted"), ("sup-b", "CallStarted"), ("sup-a", "SegmentReceived"),
            ("sup-a", "TalkStatsUpdated")]
        history = await read_sse(client, "/v1/stream?after=0", 1)
        assert history[0][2]["call_id"] == "old"
        listing = (await client.get("/v1/calls", params={"status": "live"})).json()
        assert {row["call_id"] for row in listing} == {"old", "sup-a", "sup-b"}


async def test_websocket_heartbeat(settings: Settings, runtime: Runtime) -> None:
    quick = settings.model_copy(update={"streams": settings.streams.model_copy(
        update={"heartbeat_seconds": 0.3, "poll_seconds": 0.1})})
    runtime.settings = quick
    async with serving(quick, runtime) as url:
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": API_KEY}) as client:
            await start_call(client, "hb")
        async with websockets.connect(ws_url(url, "/api/realtime/ws/hb"),
                                      additional_headers={"X-API-Key": API_KEY}) as ws:
            assert orjson.loads(await ws.recv())["type"] == "CallStarted"
            beat = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert beat["type"] == "heartbeat" and beat["after"] > 0


async def test_events_page(client: httpx.AsyncClient) -> None:
    await start_call(client, "p-1")
    for i in range(3):
        await send_segment(client, "p-1", f"s{i}", start=i, end=i + 1)
    page = (await client.get("/v1/calls/p-1/events", params={"limit": 4})).json()
    assert [e["seq"] for e in page["events"]] == [1, 2, 3, 4] and page["more"]
    rest = (await client.get("/v1/calls/p-1/events", params={"after": page["next_after"]})).json()
    assert [e["seq"] for e in rest["events"]] == [5, 6, 7] and not rest["more"]
    segments = (await client.get("/v1/calls/p-1/segments")).json()
    assert [s["text"] for s in segments] == ["s0", "s1", "s2"]


async def test_replay_client_survives_heartbeats(settings: Settings, runtime: Runtime) -> None:
    """A regression: httpx-sse hands SSE heartbeat comments over as empty events, which once killed the
    replay client's stream reader."""
    from callpilot.replay.client import replay_call
    from callpilot.replay.runner import client_for
    from callpilot.replay.transcript import Transcript

    quick = settings.model_copy(update={"streams": settings.streams.model_copy(update={"heartbeat_seconds": 1})})
    runtime.settings = quick
    transcript = Transcript(segments=[{"speaker": "agent", "text": f"words {i}", "start": 1.4 * i,
                                       "end": 1.4 * i + 1.3} for i in range(3)])
    async with serving(quick, runtime) as url, client_for(url, API_KEY) as client:
        result = await replay_call(client, transcript, call_id="hb-replay", speed=1.0)
    assert [e["type"] for e in result.events][-1] == "CallEnded"
    assert [e["seq"] for e in result.events] == list(range(1, 9))
