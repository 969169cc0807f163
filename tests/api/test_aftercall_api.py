"""After-call work through the real app and database: a replayed call's analysis arrives on its stream within
seconds, low-confidence fields go to the review queue, reviewers' edits and approvals are events."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from callpilot.core.settings import Settings, load_settings
from callpilot.replay.client import replay_call
from callpilot.replay.transcript import Transcript, load_transcript
from callpilot.runtime import Runtime
from tests.aftercall.fixtures import EXAMPLES, FIELDS_YAML, VAULT_KEY, transcript
from tests.api.conftest import API_KEY, send_segment, start_call

PAYMENT_CALL = transcript(
    ("agent", "thanks for calling, how can i help"),
    ("customer", "hi i need to pay my electric bill"),
    ("agent", "sure, when would you like the payment to go out"),
    ("customer", "this friday please"),
    ("agent", "and what's the best callback number"),
    ("customer", "five five five two one two zero one four two"),
    ("agent", "okay, i've scheduled it, is there anything else"),
    ("customer", "no that's it thanks"),
)  # the required payment_amount is never said: the call goes to review


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    schema = tmp_path / "fields.yaml"
    schema.write_text(FIELDS_YAML)
    return load_settings(None, api_key=API_KEY, vault_key=VAULT_KEY,
                         pipeline={"background": ["aftercall"]},
                         analyzers={"aftercall": {"fields_file": str(schema)}},
                         streams={"heartbeat_seconds": 15, "queue_size": 1000, "poll_seconds": 0.2})


async def _replay(url: str, t: Transcript, call_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": API_KEY}) as client:
        result = await replay_call(client, t, call_id=call_id, speed=200.0, wrap_up_seconds=20)
    return result.events


async def test_a_replayed_call_is_analyzed_on_its_stream(live_url: str) -> None:
    started = time.monotonic()
    events = await _replay(live_url, load_transcript(EXAMPLES / "billing_dispute_escalation.json"), "wrap-1")
    types = [e["type"] for e in events]
    assert "CallAnalyzed" in types and types.index("CallAnalyzed") > types.index("CallEnded")
    assert types[-1] in ("ReviewRequested", "AnalysisApproved")
    assert time.monotonic() - started < 20
    analysis = next(e for e in events if e["type"] == "CallAnalyzed")["data"]["analysis"]
    assert analysis["disposition"]["value"] == "Escalated" and analysis["resolution"] == "escalated"
    assert analysis["summary"]["sentences"] and all(s["segments"] for s in analysis["summary"]["sentences"])


async def test_review_edit_and_approve(live_url: str, client: httpx.AsyncClient) -> None:
    await _replay(live_url, PAYMENT_CALL, "pay-1")
    queue = (await client.get("/v1/reviews")).json()
    row = next(r for r in queue if r["call_id"] == "pay-1")
    assert row["status"] == "pending_review" and row["revision"] == 1
    assert any(r.startswith("fields.payment_amount: required, not found") for r in row["reasons"])

    current = (await client.get("/v1/calls/pay-1/analysis")).json()
    assert current["status"] == "pending_review"
    assert current["analysis"]["fields"]["payment_date"]["value"] == "2026-11-20"
    assert current["analysis"]["fields"]["callback_number"]["value"] == "[PHONE_NUMBER]"

    edit = {"revision": 1, "reviewer": "rev-7", "comment": "amount from the billing system",
            "fields": {"payment_amount": "142.18"}, "disposition": "Resolved"}
    edited = (await client.post("/v1/calls/pay-1/analysis/edits", json=edit)).json()
    assert edited["analysis"]["fields"]["payment_amount"]["value"] == "$142.18"
    assert edited["analysis"]["fields"]["payment_amount"]["confidence"] == 1.0
    assert edited["edits"][-1]["reviewer"] == "rev-7"

    events = (await client.get("/v1/calls/pay-1/events")).json()["events"]
    change = next(e for e in events if e["type"] == "AnalysisEdited")["data"]
    paths = {c["path"]: c for c in change["changes"]}
    assert paths["fields.payment_amount"]["before"]["value"] is None
    assert paths["fields.payment_amount"]["after"]["value"] == "$142.18"
    assert change["reviewer"] == "rev-7"

    approved = await client.post("/v1/calls/pay-1/analysis/approve", json={"revision": 1, "reviewer": "rev-7"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved" and approved.json()["approved_now"]
    again = await client.post("/v1/calls/pay-1/analysis/approve", json={"revision": 1, "reviewer": "rev-7"})
    assert again.json()["approved_now"] is False
    assert all(r["call_id"] != "pay-1" for r in (await client.get("/v1/reviews")).json())
    approved_rows = (await client.get("/v1/reviews", params={"status": "approved"})).json()
    assert any(r["call_id"] == "pay-1" and r["approved_by"] == "rev-7" for r in approved_rows)


@pytest.mark.parametrize(("edit", "status", "field"), [
    ({"revision": 1, "reviewer": "r", "fields": {"nope": 1}}, 422, "fields.nope"),
    ({"revision": 1, "reviewer": "r", "fields": {"payment_date": "next friday"}}, 422, "fields.payment_date"),
    ({"revision": 1, "reviewer": "r", "disposition": "Sold"}, 422, "disposition"),
    ({"revision": 9, "reviewer": "r", "disposition": "Resolved"}, 409, None),
    ({"revision": 1, "reviewer": "r", "fields": {"account_type": "savings"}, "bogus": 1}, 422, "bogus"),
])
async def test_bad_edits_are_refused(live_url: str, client: httpx.AsyncClient, edit: dict[str, Any], status: int,
                                     field: str | None) -> None:
    await _replay(live_url, PAYMENT_CALL, "pay-bad")
    response = await client.post("/v1/calls/pay-bad/analysis/edits", json=edit)
    assert response.status_code == status, response.text
    if field is not None:
        assert any(field in f["field"] for f in response.json()["error"]["fields"]), response.json()


async def test_analysis_on_demand_is_a_new_revision(live_url: str, client: httpx.AsyncClient,
                                                    runtime: Runtime) -> None:
    await _replay(live_url, PAYMENT_CALL, "pay-2")
    response = await client.post("/v1/calls/pay-2/analyze")
    assert response.status_code == 200, response.text
    assert response.json()["revision"] == 2 and response.json()["trigger"] == "on_demand"
    stale = await client.post("/v1/calls/pay-2/analysis/approve", json={"revision": 1, "reviewer": "r"})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_revision"
    # the job delivered twice (a worker retrying) does not analyze the call again
    state = await runtime.calls.get_call("pay-2")
    from callpilot.domain.events import CallEnded

    assert await runtime.aftercall.analyzer.analyze(state, CallEnded()) == []


async def test_live_and_unknown_calls(client: httpx.AsyncClient) -> None:
    await start_call(client, "live-1")
    await send_segment(client, "live-1", "hello")
    live = await client.post("/v1/calls/live-1/analyze")
    assert live.status_code == 409 and live.json()["error"]["code"] == "call_live"
    missing = await client.get("/v1/calls/live-1/analysis")
    assert missing.status_code == 404
    assert (await client.post("/v1/calls/nope/analyze")).status_code == 404


async def test_a_call_that_ended_before_its_job_ran_is_analyzed_after_a_restart(tmp_path: Path,
                                                                                  settings: Settings) -> None:
    import asyncio

    from callpilot.eventlog.sqlite import SqliteEventLog
    from callpilot.runtime import open_runtime
    from callpilot.service.calls import NewCall, NewSegment

    path = tmp_path / "restart.db"
    without_job = settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"background": []})})
    rt = await open_runtime(without_job, log=SqliteEventLog(path))
    await rt.calls.start_call(NewCall(call_id="r-1", agent_id="a"), trace_id=None)
    await rt.calls.add_segment("r-1", NewSegment(speaker="customer", text="i need to pay my bill", start_time=0,
                                                 end_time=2), trace_id=None)
    await rt.calls.end_call("r-1", "completed", trace_id=None)
    await rt.close()  # stopped before any post-call job ran

    rt = await open_runtime(settings, log=SqliteEventLog(path))
    try:
        for _ in range(100):
            await rt.calls.settle()
            if "aftercall" in (await rt.calls.get_call("r-1")).analyzers:
                break
            await asyncio.sleep(0.05)
        state = await rt.calls.get_call("r-1")
        assert state.analyzers["aftercall"]["end_revision"] == 1
        assert await rt.aftercall.resume() == 0  # nothing left to resume
    finally:
        await rt.close()


async def test_an_engine_failure_on_demand_is_an_event_and_a_502(tmp_path: Path, make_log: Any) -> None:
    from callpilot.api.app import create_app
    from callpilot.runtime import open_runtime
    from tests.api.conftest import free_port

    failing = load_settings(None, api_key=API_KEY, vault_key=VAULT_KEY, pipeline={"background": []},
                            analyzers={"aftercall": {"engine": "llm", "llm": {
                                "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "m", "timeout_seconds": 1,
                                "max_retries": 0, "fallback": "none"}}})
    rt = await open_runtime(failing, log=make_log())
    try:
        transport = httpx.ASGITransport(app=create_app(failing, runtime=rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"X-API-Key": API_KEY}) as c:
            await start_call(c, "fail-1")
            await send_segment(c, "fail-1", "hello i need help")
            await c.post("/v1/calls/fail-1/end")
            response = await c.post("/v1/calls/fail-1/analyze")
            assert response.status_code == 502 and response.json()["error"]["code"] == "analyzer_failed"
            assert "connectivity" in response.json()["error"]["message"]
            events = (await c.get("/v1/calls/fail-1/events")).json()["events"]
            failed = [e["data"] for e in events if e["type"] == "AnalyzerFailed"]
            assert failed and failed[-1]["analyzer"] == "aftercall" and failed[-1]["category"] == "connectivity"
    finally:
        await rt.close()
