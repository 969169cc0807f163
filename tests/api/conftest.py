"""The real app on a real database: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from callpilot.api.app import create_app
from callpilot.core.settings import Settings, load_settings
from callpilot.eventlog.base import EventLog
from callpilot.eventlog.postgres import PostgresEventLog
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.runtime import Runtime, open_runtime

API_KEY = "test-key-123"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_log(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], EventLog]:
    if backend == "sqlite":
        return lambda: SqliteEventLog(tmp_path / "api.db")
    url, schema = request.getfixturevalue("pg_schema")
    return lambda: PostgresEventLog(url, search_path=schema, pool_size=4)


@pytest.fixture
def settings() -> Settings:
    # the spine's tests run a short chain; tests/analyzers/test_live_chain.py runs the default one
    return load_settings(None, api_key=API_KEY, max_body_bytes=64 * 1024,
                         pipeline={"inline": ["pii", "talk_stats"], "background": []},
                         streams={"heartbeat_seconds": 15, "queue_size": 50, "poll_seconds": 0.2})


@pytest.fixture
async def runtime(settings: Settings, make_log: Callable[[], EventLog]) -> AsyncIterator[Runtime]:
    rt = await open_runtime(settings, log=make_log())
    yield rt
    await rt.close()


@pytest.fixture
async def client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                 headers={"X-API-Key": API_KEY}) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(settings: Settings, runtime: Runtime | None = None, port: int | None = None
                  ) -> AsyncIterator[str]:
    """A real uvicorn server in this event loop; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(create_app(settings, runtime=runtime), host="127.0.0.1", port=port,
                            log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live_url(settings: Settings, runtime: Runtime) -> AsyncIterator[str]:
    async with serving(settings, runtime) as url:
        yield url


async def start_call(client: httpx.AsyncClient, call_id: str = "call-1", **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/realtime/call/start", json={"call_id": call_id, "agent_id": "a1", **extra})
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def send_segment(client: httpx.AsyncClient, call_id: str, text: str = "hello there", *, start: float = 0.0,
                       end: float = 1.0, speaker: str = "customer", **extra: Any) -> httpx.Response:
    return await client.post("/api/realtime/transcription", json={
        "session_id": call_id, "speaker": speaker, "text": text, "start_time": start, "end_time": end, **extra})
