"""A live server (uvicorn on a free port) with the embedded defaults and inline recognition, and the
fixtures' reference transcripts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from callpilot.api.app import create_app
from callpilot.core.settings import Settings
from callpilot.replay.transcript import Transcript, load_transcript

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class LiveServer:
    app: FastAPI
    url: str
    settings: Settings


@pytest.fixture
def reference() -> Transcript:
    return load_transcript(FIXTURES / "call_stereo.json")


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'callpilot.db'}", cache_dir=tmp_path / "cache",
                        pipeline={"background": []}, delivery={"enabled": False},
                        speech={"workers": 0})
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws_max_size=2**22))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # uvicorn has no start-up event to await
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(app=app, url=f"ws://127.0.0.1:{port}", settings=settings)
    finally:
        server.should_exit = True
        await task
