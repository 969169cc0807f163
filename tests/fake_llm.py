"""A local server speaking the chat-completions wire format with scripted answers, for the LLM adapters' tests
(no model can be downloaded here: this checks the adapters and the protocol the openai SDK speaks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.api.conftest import free_port


class FakeLLM:
    """Answers ``POST /v1/chat/completions`` with the next of ``replies`` (the last one repeats), or with
    ``status``, after ``delay`` seconds; ``requests`` records every body received."""

    def __init__(self, *replies: str, prompt_tokens: int = 61, completion_tokens: int = 7) -> None:
        self.requests: list[dict[str, Any]] = []
        self.replies = list(replies) or ["ok"]
        self.status, self.delay = 200, 0.0
        self.app = FastAPI()

        @self.app.post("/v1/chat/completions")
        async def complete(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            await asyncio.sleep(self.delay)
            if self.status != 200:
                return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}},
                                    status_code=self.status)
            content = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
            return JSONResponse({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens}})


@contextlib.asynccontextmanager
async def serving_app(app: FastAPI) -> AsyncIterator[str]:
    """A small app (a fake vendor server, a webhook receiver) on a real port in this event loop; yields its
    base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raises why it could not start
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serving_llm(fake: FakeLLM) -> AsyncIterator[str]:
    """The fake on a real port; yields the base URL the SDK takes (``.../v1``)."""
    async with serving_app(fake.app) as base:
        yield f"{base}/v1"
