"""``callpilot demo``: the server on the embedded default plus a sample call replayed into it, live."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

import typer
import uvicorn

from callpilot.api.app import create_app
from callpilot.core.errors import InvalidInput
from callpilot.core.logging import configure_logging
from callpilot.core.settings import Settings
from callpilot.replay.client import replay_call
from callpilot.replay.runner import QUIET_TYPES, client_for, describe_event
from callpilot.replay.transcript import load_transcript

__all__ = ["find_sample", "run_demo"]


def _show(event: dict[str, Any]) -> None:
    if event["type"] not in QUIET_TYPES:
        typer.echo(describe_event(event))


def find_sample(name: str) -> Path:
    """A path, or the name of a file under examples/calls (of the working directory or the source tree)."""
    candidates = [Path(name)]
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidates += [root / "examples" / "calls" / name, root / "examples" / "calls" / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            return path
    raise InvalidInput(f"sample call {name!r} not found (looked in examples/calls/)")


def _ingest(settings: Settings, kb: Path) -> str:
    from callpilot.assist.knowledge import knowledge_for

    report = knowledge_for(settings).ingest([kb])  # the running server's own service, so its index is fresh
    return (f"{sum(f.documents for f in report.files if f.status in ('added', 'updated'))} documents ingested "
            f"from {kb}, {report.count('unchanged')} files unchanged")


def find_demo_kb() -> Path | None:
    """examples/kb of the working directory or the source tree: the demo's knowledge base."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / "examples" / "kb").is_dir():
            return root / "examples" / "kb"
    return None


def with_example_fields(settings: Settings) -> Settings:
    """The example CRM field schema (examples/aftercall/fields.yaml) for the post-call job, unless the
    settings name one."""
    options = dict(settings.analyzers.get("aftercall", {}))
    if options.get("fields_file"):
        return settings
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        schema = root / "examples" / "aftercall" / "fields.yaml"
        if schema.is_file():
            options["fields_file"] = str(schema)
            return settings.model_copy(update={"analyzers": {**settings.analyzers, "aftercall": options}})
    return settings


async def run_demo(settings: Settings, *, call: str, speed: float, keep_serving: bool,
                   start_delay: float = 0.0) -> None:
    transcript = load_transcript(find_sample(call))
    settings = with_example_fields(settings)
    configure_logging("warning", settings.log_format)
    kb = find_demo_kb()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=settings.host, port=settings.port,
                                           log_config=None, access_log=False, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # re-raises why it could not start (e.g. the port is taken)
            raise InvalidInput(f"the server could not start on port {settings.port}; try --port")
        await asyncio.sleep(0.05)
    base = f"http://{settings.host}:{settings.port}"
    if kb is not None:  # the sample articles, so that the agent-assist cards have something to show
        report = await asyncio.to_thread(_ingest, settings, kb)
        typer.echo(f"knowledge base 'default': {report}")
    assert settings.api_key is not None
    key = settings.api_key.get_secret_value()
    call_id = f"{transcript.call_id or 'demo'}-{uuid.uuid4().hex[:6]}"
    typer.echo(f"callpilot is serving on {base}   (API docs: {base}/docs)")
    typer.echo(f"\n  agent desktop:  {base}/#key={key}")
    typer.echo(f"  supervisor:     {base}/supervisor#key={key}\n")
    typer.echo(f"API key for this run: {key}")
    typer.echo(f"event store: {settings.database_url}")
    typer.echo(f"watch the call live:  curl -N -H 'X-API-Key: {key}' {base}/api/realtime/stream/{call_id}")
    typer.echo(f"all live calls:       curl -N -H 'X-API-Key: {key}' {base}/v1/stream")
    if start_delay > 0:
        typer.echo(f"open the agent desktop now: the call starts in {start_delay:.0f} s ...")
        await asyncio.sleep(start_delay)
    typer.echo(f"replaying {len(transcript.segments)} segments ({transcript.duration:.0f} s of call) "
               f"at {speed}x ...\n")
    try:
        async with client_for(base, key) as client:
            result = await replay_call(client, transcript, call_id=call_id, speed=speed,
                                       on_event=_show)
        typer.echo(f"\n{result.sent} segments acknowledged, {len(result.events)} events streamed back.")
        typer.echo(f"the call's state: curl -H 'X-API-Key: {key}' {base}/v1/calls/{call_id}")
        typer.echo(f"its wrap-up:      curl -H 'X-API-Key: {key}' {base}/v1/calls/{call_id}/analysis")
        typer.echo(f"review queue:     curl -H 'X-API-Key: {key}' {base}/v1/reviews")
        if keep_serving:
            typer.echo("serving until Ctrl-C ...")
            await serving
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
