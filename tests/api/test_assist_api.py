"""Agent assist over the API: knowledge-base articles, search, live suggestions on the call's WebSocket,
feedback by WebSocket message and REST, and the analytics endpoints (SQLite; the knowledge-base contract runs
on PostgreSQL in tests/assist)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from callpilot.api.app import create_app
from callpilot.core.settings import Settings, load_settings
from callpilot.runtime import Runtime, open_runtime
from tests.api.conftest import API_KEY, send_segment, serving, start_call

ARTICLE = {"id": "KB-77", "title": "Router keeps rebooting", "product": "HomeLink router",
           "body": "## Fix\n\nA router that reboots every few minutes needs the firmware update 3.2. Hold the reset "
                   "button for ten seconds, then install 3.2 from the app.\n\n## Still rebooting\n\nReplace the "
                   "power adapter."}


@pytest.fixture
def assist_settings(tmp_path: Path) -> Settings:
    return load_settings(None, api_key=API_KEY, database_url=f"sqlite:///{tmp_path / 'assist.db'}",
                         pipeline={"inline": ["pii", "talk_stats"], "background": ["context", "assist"]},
                         analyzers={"assist": {"min_interval_seconds": 0}})


@pytest.fixture
async def assist_runtime(assist_settings: Settings) -> AsyncIterator[Runtime]:
    rt = await open_runtime(assist_settings)
    yield rt
    await rt.close()


@pytest.fixture
async def api(assist_settings: Settings, assist_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(assist_settings, runtime=assist_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"X-API-Key": API_KEY}) as c:
        yield c


async def test_articles_add_read_update_delete(api: httpx.AsyncClient) -> None:
    created = await api.post("/v1/kb/support/articles", json=ARTICLE)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "KB-77" and "firmware update 3.2" in created.json()["text"]
    again = await api.post("/v1/kb/support/articles", json=ARTICLE)
    assert again.status_code == 422 and again.json()["error"]["code"] == "bad_document"
    generated = await api.post("/v1/kb/support/articles", json={"title": "Parking", "body": "Parking is free."})
    assert generated.json()["id"].startswith("art_")
    assert (await api.get("/v1/kb/support/articles/KB-77")).json()["product"] == "HomeLink router"
    listing = (await api.get("/v1/kb/support/articles", params={"limit": 1})).json()
    assert listing["total"] == 2 and len(listing["articles"]) == 1
    updated = await api.put("/v1/kb/support/articles/KB-77", json={"title": "Router reboots",
                                                                   "body": "Install firmware 3.3."})
    assert updated.status_code == 200 and updated.json()["title"] == "Router reboots"
    made = await api.put("/v1/kb/support/articles/guides/new.md", json={"title": "New", "body": "Hello there."})
    assert made.status_code == 201 and made.json()["id"] == "guides/new.md"
    kbs = (await api.get("/v1/kb")).json()
    assert [(k["name"], k["documents"]) for k in kbs] == [("support", 3)]
    assert (await api.delete("/v1/kb/support/articles/KB-77")).status_code == 204
    gone = await api.delete("/v1/kb/support/articles/KB-77")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert (await api.get("/v1/kb/support/articles/KB-77")).status_code == 404


@pytest.mark.parametrize("method,path,body,status,field", [
    ("post", "/v1/kb/Bad Name/articles", ARTICLE, 422, "kb"),
    ("post", "/v1/kb/support/articles", {"title": "x"}, 422, "body"),
    ("post", "/v1/kb/support/articles", {**ARTICLE, "extra": 1}, 422, "extra"),
    ("post", "/v1/kb/support/articles", {**ARTICLE, "body": "   "}, 422, None),
    ("get", "/v1/kb/nope/search?q=router", None, 404, None),
    ("get", "/v1/kb/support/search?q=", None, 422, "q"),
    ("get", "/v1/kb/support/search?q=x&k=0", None, 422, "k"),
])
async def test_bad_requests_say_what_is_wrong(api: httpx.AsyncClient, method: str, path: str,
                                              body: dict[str, Any] | None, status: int, field: str | None) -> None:
    response = await api.request(method, path, json=body)
    assert response.status_code == status, response.text
    if field is not None:
        assert field in {f["field"] for f in response.json()["error"].get("fields", [])} \
            or field in response.json()["error"]["message"]


async def test_search_returns_distinct_documents_with_highlight(api: httpx.AsyncClient) -> None:
    await api.post("/v1/kb/support/articles", json=ARTICLE)
    await api.post("/v1/kb/support/articles", json={"id": "KB-1", "title": "Billing dates",
                                                    "body": "Billing dates can be moved once a year."})
    results = (await api.get("/v1/kb/support/search", params={"q": "which firmware stops the reboots"})).json()
    best = results["results"][0]
    assert best["id"] == "KB-77" and len({r["id"] for r in results["results"]}) == len(results["results"])
    assert "firmware update 3.2" in best["snippet"][best["highlight"][0]:best["highlight"][1]]


async def test_live_call_gets_cards_on_the_websocket_and_feedback_counts(
        assist_settings: Settings, assist_runtime: Runtime, api: httpx.AsyncClient) -> None:
    await api.put("/v1/kb/default/articles/KB-77", json={k: v for k, v in ARTICLE.items() if k != "id"})
    await start_call(api, "live-1")
    async with serving(assist_settings, assist_runtime) as base, websockets.connect(
            base.replace("http://", "ws://") + "/api/realtime/ws/live-1",
            additional_headers={"X-API-Key": API_KEY}) as ws:
        answer = await send_segment(api, "live-1", "my HomeLink router keeps rebooting every few minutes",
                                    start=0.0, end=4.0)
        assert answer.status_code == 200
        card = None
        while card is None:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] == "SuggestionsProvided":
                card = frame["data"]["suggestions"][0]
        assert card["doc_id"] == "KB-77"
        await ws.send(orjson.dumps({"type": "feedback", "suggestion_id": card["suggestion_id"],
                                    "feedback": "clicked", "agent_id": "a1"}).decode())
        while orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "feedback_recorded":
            pass
    rest = await api.post("/v1/calls/live-1/feedback", json={"suggestion_id": card["suggestion_id"],
                                                             "feedback": "helpful", "agent_id": "a1"})
    assert rest.status_code == 201
    await assist_runtime.calls.settle()
    shown = (await api.get("/api/realtime/suggestions/live-1")).json()
    assert shown["suggestions"][0]["doc_id"] == "KB-77"
    performance = {(r["agent"], r["action"]): r for r in (await api.get("/v1/analytics/agent-performance")).json()}
    assert performance[("retrieval", "search")]["count"] >= 1
    assert performance[("retrieval", "search")]["avg_processing_ms"] > 0
    effectiveness = {r["type"]: r for r in (await api.get("/v1/analytics/suggestions")).json()}
    assert effectiveness["article"]["shown"] >= 1 and effectiveness["article"]["clicked"] == 1
    assert effectiveness["article"]["helpful"] == 1 and effectiveness["article"]["click_rate"] > 0
    feedback = (await api.get("/v1/analytics/feedback")).json()
    assert feedback["counts"] == {"clicked": 1, "helpful": 1} and feedback["by_agent"]["a1"]["helpful"] == 1
