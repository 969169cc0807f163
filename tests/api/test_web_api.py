"""The pages' server side through the real app: the page shells and static files, the session cookie, and the
dashboard's board and today's numbers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
import websockets
from itsdangerous import TimestampSigner
from pydantic import SecretStr

from callpilot.api.app import create_app
from callpilot.core.settings import Settings
from callpilot.runtime import Runtime
from callpilot.web.session import COOKIE_NAME, session_token
from tests.api.conftest import API_KEY, send_segment, serving, start_call


@pytest.fixture
async def browser(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A client without the API key header, as a page is."""
    app = create_app(settings, runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


@pytest.mark.parametrize(("path", "kind", "text"), [
    ("/", "text/html", "agent desktop"),
    ("/supervisor", "text/html", "supervisor"),
    ("/static/js/live.js", "javascript", "class LiveStream"),
    ("/static/js/pcm-worklet.js", "javascript", "registerProcessor"),
    ("/static/css/app.css", "text/css", ":root"),
])
async def test_pages_and_their_files_are_served_without_a_key(browser: httpx.AsyncClient, path: str, kind: str,
                                                                text: str) -> None:
    answer = await browser.get(path)
    assert answer.status_code == 200
    assert kind in answer.headers["content-type"] and text in answer.text


async def test_the_pages_load_nothing_from_another_origin(browser: httpx.AsyncClient) -> None:
    for path in ("/", "/supervisor"):
        html = (await browser.get(path)).text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html


@pytest.mark.parametrize("path", ["/", "/supervisor"])
async def test_the_pages_carry_a_content_security_policy(browser: httpx.AsyncClient, path: str) -> None:
    headers = (await browser.get(path)).headers
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-cache"


async def test_unknown_static_files_are_404(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/static/js/nothing.js")).status_code == 404
    assert (await browser.get("/static/../pyproject.toml")).status_code == 404


async def test_sign_in_sets_an_http_only_strict_cookie_that_authenticates(browser: httpx.AsyncClient) -> None:
    assert (await browser.get("/web/session")).json()["signed_in"] is False
    assert (await browser.get("/v1/calls")).status_code == 401
    wrong = await browser.post("/web/session", json={"api_key": "nope"})
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    right = await browser.post("/web/session", json={"api_key": API_KEY})
    assert right.status_code == 200
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert f"max-age={12 * 3600}" in cookie  # web.session_hours
    assert API_KEY.lower() not in cookie  # signed with a secret derived from the key, not the key
    assert (await browser.get("/web/session")).json()["signed_in"] is True
    assert (await browser.get("/v1/calls")).status_code == 200
    assert (await browser.delete("/web/session")).status_code == 204
    assert (await browser.get("/v1/calls")).status_code == 401


@pytest.mark.parametrize("cookie", ["", "forged", session_token(SecretStr("other-key"))])
async def test_a_wrong_cookie_is_refused(browser: httpx.AsyncClient, cookie: str) -> None:
    browser.cookies.set(COOKIE_NAME, cookie)
    assert (await browser.get("/v1/calls")).status_code == 401


async def test_a_cookie_older_than_the_session_hours_is_refused(browser: httpx.AsyncClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as past:
        past.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 12 * 3600 - 5)
        browser.cookies.set(COOKIE_NAME, session_token(SecretStr(API_KEY)))
    assert (await browser.get("/web/session")).json()["signed_in"] is False
    assert (await browser.get("/v1/calls")).status_code == 401
    browser.cookies.set(COOKIE_NAME, session_token(SecretStr(API_KEY)))  # the same, signed now
    assert (await browser.get("/v1/calls")).status_code == 200


@pytest.mark.parametrize(("method", "origin", "allowed"), [
    ("GET", "http://evil.example", True),  # reading is not what a forged request is after (SameSite covers it)
    ("POST", None, True),  # not a browser page: nothing to forge
    ("POST", "http://test", True),  # our own page
    ("POST", "http://evil.example", False),
    ("POST", "http://test.evil.example", False),
    ("POST", "null", False),  # a sandboxed frame or a file:// page
])
async def test_cookie_requests_that_change_things_must_come_from_our_pages(
        browser: httpx.AsyncClient, method: str, origin: str | None, allowed: bool) -> None:
    browser.cookies.set(COOKIE_NAME, session_token(SecretStr(API_KEY)))
    headers = {"Origin": origin} if origin else {}
    if method == "GET":
        answer = await browser.get("/v1/calls", headers=headers)
    else:
        answer = await browser.post("/api/realtime/call/start", json={"call_id": "o-1", "agent_id": "a"},
                                    headers=headers)
    assert (answer.status_code != 401) is allowed, answer.text


async def test_an_api_key_is_not_subject_to_the_origin_check(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/realtime/call/start", json={"call_id": "o-2", "agent_id": "a"},
                               headers={"Origin": "http://evil.example"})
    assert answer.status_code in (200, 201)


async def test_sign_in_from_another_sites_page_is_refused(browser: httpx.AsyncClient) -> None:
    answer = await browser.post("/web/session", json={"api_key": API_KEY}, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


async def test_a_cookie_websocket_must_come_from_our_pages(settings: Settings, runtime: Runtime) -> None:
    async with serving(settings, runtime) as url:
        async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": API_KEY}) as client:
            await start_call(client, "o-ws")
        ws_url = url.replace("http://", "ws://") + "/v1/calls/o-ws/events/ws"
        host = url.removeprefix("http://")
        cookie = {"Cookie": f"{COOKIE_NAME}={session_token(SecretStr(API_KEY))}"}
        async with websockets.connect(ws_url, additional_headers=cookie, origin=f"http://{host}") as ws:
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "CallStarted"
        with pytest.raises(websockets.exceptions.WebSocketException) as info:
            async with websockets.connect(ws_url, additional_headers=cookie, origin="http://evil.example") as ws:
                await asyncio.wait_for(ws.recv(), 5)
        assert "4401" in str(info.value)


async def test_the_sign_in_body_is_validated(browser: httpx.AsyncClient) -> None:
    answer = await browser.post("/web/session", json={"key": API_KEY})
    assert answer.status_code == 422


async def test_the_board_lists_live_calls_with_the_position_it_reflects(client: httpx.AsyncClient) -> None:
    await start_call(client, "b-1", agent_name="Dana", queue="booking")
    await start_call(client, "b-2")
    await send_segment(client, "b-1", "hello there")
    await client.post("/v1/calls/b-2/end")
    board = (await client.get("/v1/dashboard/board")).json()
    assert [r["call_id"] for r in board["calls"]] == ["b-1"]
    row = board["calls"][0]
    assert (row["agent_name"], row["queue"], row["status"]) == ("Dana", "booking", "live")
    events = (await client.get("/v1/calls/b-1/events")).json()["events"]
    assert row["seq"] == events[-1]["seq"] and board["position"] >= events[-1]["position"]
    everything = (await client.get("/v1/dashboard/board", params={"status": "all"})).json()
    assert {r["call_id"] for r in everything["calls"]} == {"b-1", "b-2"}
    assert (await client.get("/v1/dashboard/board/b-2")).json()["status"] == "ended"
    assert (await client.get("/v1/dashboard/board/nope")).status_code == 404
    assert (await client.get("/v1/dashboard/board", params={"status": "bogus"})).status_code == 422


async def test_today_counts_the_calls_since_the_given_moment(client: httpx.AsyncClient) -> None:
    await start_call(client, "t-1")
    await client.post("/v1/calls/t-1/end")
    today = (await client.get("/v1/dashboard/today")).json()
    assert (today["calls"], today["ended"], today["live"]) == (1, 1, 0)
    assert today["manual_wrap_up_seconds"] == 360
    later = (await client.get("/v1/dashboard/today", params={"since": "2999-01-01T00:00:00Z"})).json()
    assert later["calls"] == 0
    assert (await client.get("/v1/dashboard/today", params={"since": "yesterday"})).status_code == 422
