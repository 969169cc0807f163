"""``callpilot replay``: many files, many copies, printed as they stream back."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import typer

from callpilot.replay.client import ReplayResult, replay_call
from callpilot.replay.transcript import load_transcript

__all__ = ["client_for", "describe_event", "replay_files"]


def client_for(url: str, api_key: str | None) -> httpx.AsyncClient:
    headers = {"X-API-Key": api_key} if api_key else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=httpx.Timeout(10.0),
                             limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))


def describe_event(event: dict[str, Any]) -> str:
    data = event["data"]
    kind = event["type"]
    if kind == "SegmentReceived":
        detail = f"{data['speaker']:>8}: {data['text']}"
    elif kind == "TalkStatsUpdated":
        ratio = data["stats"]["talk_ratio"]
        detail = (f"talk ratio agent {ratio['agent']:.0%} / customer {ratio['customer']:.0%}, "
                  f"interruptions {data['stats']['interruptions']}, silence {data['stats']['silence_seconds']}s")
    elif kind == "CallStarted":
        detail = f"agent {data['agent_id']} queue {data.get('queue')}"
    elif kind == "CallEnded":
        detail = data["status"]
    else:
        detail = ", ".join(f"{k}={v}" for k, v in data.items())[:160]
    return f"[{event['call_id']} #{event['seq']:>3}] {kind:<18} {detail}"


async def replay_files(files: list[Path], *, url: str, speed: float, concurrency: int, api_key: str | None,
                       quiet: bool) -> bool:
    transcripts = [(path, load_transcript(path)) for path in files]  # fail on a bad file before sending
    run = uuid.uuid4().hex[:6]

    def show(event: dict[str, Any]) -> None:
        if not quiet:
            typer.echo(describe_event(event))

    async with client_for(url, api_key) as client:
        jobs = []
        for path, transcript in transcripts:
            base = transcript.call_id or path.stem
            for copy in range(concurrency):
                call_id = f"{base}-{run}" + (f"-{copy}" if concurrency > 1 else "")
                jobs.append(replay_call(client, transcript, call_id=call_id, speed=speed, on_event=show))
        results = await asyncio.gather(*jobs, return_exceptions=True)
    ok = True
    for result in results:
        if isinstance(result, ReplayResult):
            typer.echo(f"{result.call_id}: {result.sent} segments acknowledged, {len(result.events)} events "
                       f"streamed back, {result.retries} retries, {result.stream_reconnects} stream reconnects")
        else:
            ok = False
            typer.echo(f"error: {result}", err=True)
    return ok
