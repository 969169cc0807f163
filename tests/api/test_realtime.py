"""The integration guide's endpoints, and bad input on them."""

from __future__ import annotations

import httpx
import pytest

from callpilot.runtime import Runtime
from tests.api.conftest import API_KEY, send_segment, start_call


async def test_a_call_from_start_to_end(client: httpx.AsyncClient, runtime: Runtime) -> None:
    started = await start_call(client, "c-1", agent_name="Ana", customer_phone="+1 555 123 4567",
                               acd_metadata={"queue_id": "q9"})
    assert started == {"status": "started", "session_id": "c-1", "call_id": "c-1"}

    first = await send_segment(client, "c-1", "thanks for calling", speaker="agent", start=0, end=2,
                               confidence=0.9)
    assert first.status_code == 200
    body = first.json()
    assert body["status"] == "ok" and body["seq"] == 2
    assert body["suggestions_count"] == 0 and body["questions_count"] == 0
    assert body["processing_time_ms"] >= 0
    await send_segment(client, "c-1", "hi my card is lost", start=2.5, end=4)

    ended = await client.post("/api/realtime/call/end", json={"session_id": "c-1", "status": "completed"})
    assert ended.json()["status"] == "ended"

    state = (await client.get("/v1/calls/c-1")).json()
    assert state["status"] == "ended" and state["end_status"] == "completed"
    assert [s["text"] for s in state["segments"]] == ["thanks for calling", "hi my card is lost"]
    assert state["customer_phone_masked"] == "*******4567"  # the full number is never stored
    assert state["analyzers"]["talk_stats"]["turns"] == {"agent": 1, "customer": 1}
    types = [e.type for e in await runtime.log.read_call("c-1")]
    assert types == ["CallStarted", "SegmentReceived", "TalkStatsUpdated", "SegmentReceived",
                     "TalkStatsUpdated", "CallEnded"]


async def test_retries_are_idempotent(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await start_call(client, "c-2")
    again = await client.post("/api/realtime/call/start", json={"call_id": "c-2", "agent_id": "a1"})
    assert again.status_code == 200 and again.json()["status"] == "already_started"
    one = await send_segment(client, "c-2", segment_id="seg-1")
    two = await send_segment(client, "c-2", segment_id="seg-1")
    assert one.json()["status"] == "ok" and two.json()["status"] == "duplicate"
    assert one.json()["position"] == two.json()["position"]
    await client.post("/api/realtime/call/end", json={"session_id": "c-2"})
    # a retry that arrives after the end is still recognised, not refused
    late = await send_segment(client, "c-2", segment_id="seg-1")
    assert late.status_code == 200 and late.json()["status"] == "duplicate"
    end_again = await client.post("/api/realtime/call/end", json={"session_id": "c-2"})
    assert end_again.json()["status"] == "already_ended"
    assert len([e for e in await runtime.log.read_call("c-2") if e.type == "SegmentReceived"]) == 1


@pytest.mark.parametrize("method, path, body, status, code, field", [
    ("post", "/api/realtime/transcription",
     {"session_id": "nope", "speaker": "agent", "text": "x", "start_time": 0, "end_time": 1}, 404, "not_found", None),
    ("post", "/api/realtime/call/end", {"session_id": "nope"}, 404, "not_found", None),
    ("get", "/api/realtime/suggestions/nope", None, 404, "not_found", None),
    ("get", "/v1/calls/nope", None, 404, "not_found", None),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "robot", "text": "x", "start_time": 0, "end_time": 1}, 422,
     "validation_error", "speaker"),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "agent", "text": "  ", "start_time": 0, "end_time": 1}, 422,
     "validation_error", "text"),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "agent", "text": "x", "start_time": 5, "end_time": 1}, 422,
     "validation_error", None),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "agent", "text": "x", "start_time": 0}, 422, "validation_error", "end_time"),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "agent", "text": "x", "start_time": 0, "end_time": 1, "confidence": 7}, 422,
     "validation_error", "confidence"),
    ("post", "/api/realtime/transcription",
     {"session_id": "live", "speaker": "agent", "text": "x", "start_time": 0, "end_time": 1, "extra": 1}, 422,
     "validation_error", "extra"),
    ("post", "/api/realtime/call/start", {"agent_id": ""}, 422, "validation_error", "agent_id"),
    ("post", "/api/realtime/call/start", {"agent_id": "a", "call_id": "has space"}, 422, "validation_error",
     "call_id"),
    ("post", "/api/realtime/transcription",
     {"session_id": "ended", "speaker": "agent", "text": "x", "start_time": 0, "end_time": 1}, 409, "call_ended",
     None),
    ("post", "/api/realtime/call/start", {"call_id": "ended", "agent_id": "a1"}, 409, "call_exists", None),
])
async def test_bad_input_gets_a_clear_4xx(client: httpx.AsyncClient, runtime: Runtime, method: str, path: str,
                                          body: dict | None, status: int, code: str, field: str | None) -> None:
    await start_call(client, "live")
    await start_call(client, "ended")
    await client.post("/api/realtime/call/end", json={"session_id": "ended"})
    before = await runtime.log.last_position()
    response = await client.request(method, path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if field is not None:
        assert field in [f["field"] for f in error["fields"]]
    assert await runtime.log.last_position() == before  # nothing unvalidated reached the log


@pytest.mark.parametrize("content, status, code", [
    (b'{"session_id": "live", "speaker": ', 400, "malformed_json"),
    (b"\xff\xfe not utf-8", 400, "malformed_json"),
    (b'{"session_id": "live", "speaker": "agent", "text": "' + b"a" * 70_000 + b'", "start_time": 0, "end_time": 1}',
     413, "payload_too_large"),
])
async def test_unparseable_and_oversized_bodies(client: httpx.AsyncClient, content: bytes, status: int,
                                                code: str) -> None:
    await start_call(client, "live")
    response = await client.post("/api/realtime/transcription", content=content,
                                 headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_oversized_chunked_body_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(20):
            yield b"x" * 8192

    response = await client.post("/api/realtime/transcription", content=chunks(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413


async def test_text_over_the_segment_limit_is_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    runtime.calls.max_segment_chars = 100
    await start_call(client, "live")
    response = await send_segment(client, "live", "word " * 50)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "text"


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"X-API-Key": "wrong"}, 401),
    ({"Authorization": "Bearer wrong"}, 401),
    ({"X-API-Key": API_KEY}, 404),
    ({"Authorization": f"Bearer {API_KEY}"}, 404),
])
async def test_api_key_is_required(client: httpx.AsyncClient, headers: dict, status: int) -> None:
    client.headers.pop("X-API-Key")
    response = await client.get("/v1/calls/unknown", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["code"] == "unauthorized"


async def test_health_ready_and_metrics_need_no_key(client: httpx.AsyncClient) -> None:
    await start_call(client, "m-1")
    await send_segment(client, "m-1")
    client.headers.pop("X-API-Key")
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    metrics = (await client.get("/metrics")).text
    for name in ('method="POST",route="/api/realtime/transcription",status="200"',
                 'callpilot_events_appended_total{type="TalkStatsUpdated"}', "callpilot_segments_received_total",
                 'analyzer="talk_stats",path="inline"', "callpilot_stream_subscribers"):
        assert name in metrics, name


async def test_internal_errors_do_not_leak(client: httpx.AsyncClient, runtime: Runtime,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py")

    monkeypatch.setattr(runtime.calls, "get_call", broken)
    response = await client.get("/v1/calls/x")
    assert response.status_code == 500
    assert "hunter2" not in response.text and response.json()["error"]["code"] == "internal_error"
    assert response.json()["error"]["trace_id"] == response.headers["x-request-id"]


async def test_openapi_documents_both_surfaces(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/realtime/call/start", "/api/realtime/transcription", "/api/realtime/call/end",
                 "/v1/calls", "/v1/calls/{call_id}/segments", "/v1/calls/{call_id}/events"):
        assert path in paths
