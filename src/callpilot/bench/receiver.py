"""The delivery benchmark's webhook receiver, in its own process (``python -m callpilot.bench.receiver PORT
SECRET``) so that its work does not share the sender's event loop.

It verifies every signature (Standard Webhooks), counts requests per ``webhook-id``, and keeps each first
receipt's latency from the event's ``timestamp``. ``POST /control {"status": 503}`` makes it fail (an outage);
``GET /stats`` says what it got. The latencies are meaningful only while the sender runs on the real clock.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import Any

from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

__all__ = ["receiver_app"]


def receiver_app(secret: str) -> web.Application:
    verifier = Webhook(secret)
    state: dict[str, Any] = {"status": 204, "requests": 0, "bad_signatures": 0, "refused": 0,
                             "accepted": {}, "latencies_ms": []}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        state["requests"] += 1
        try:
            payload = verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            state["bad_signatures"] += 1
            return web.Response(status=400)
        if state["status"] >= 300:
            state["refused"] += 1
            return web.Response(status=state["status"])
        msg_id = request.headers["webhook-id"]
        accepted = state["accepted"]
        accepted[msg_id] = accepted.get(msg_id, 0) + 1
        if accepted[msg_id] == 1:
            sent = datetime.fromisoformat(payload["timestamp"]).timestamp()
            state["latencies_ms"].append(round((time.time() - sent) * 1000, 3))
        return web.Response(status=204)

    async def control(request: web.Request) -> web.Response:
        state.update(await request.json())
        if state.pop("reset", False):
            state.update(requests=0, bad_signatures=0, refused=0, accepted={}, latencies_ms=[])
        return web.json_response({"status": state["status"]})

    async def stats(request: web.Request) -> web.Response:
        accepted = state["accepted"]
        return web.json_response({
            "requests": state["requests"], "bad_signatures": state["bad_signatures"], "refused": state["refused"],
            "unique": len(accepted), "duplicates": sum(n - 1 for n in accepted.values()),
            "latencies_ms": state["latencies_ms"]})

    app = web.Application()
    app.add_routes([web.post("/hook", hook), web.post("/control", control), web.get("/stats", stats)])
    return app


if __name__ == "__main__":
    web.run_app(receiver_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), print=None,
                access_log=None)
