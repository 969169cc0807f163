"""The ``callpilot`` command line (Typer)."""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr

from callpilot.core.errors import CallpilotError, ConfigError
from callpilot.core.settings import Settings, load_settings

__all__ = ["app", "main"]

app = typer.Typer(help="callpilot: live agent assist and after-call automation for contact centers.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Event-store maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
rules_app = typer.Typer(help="Compliance rulesets.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
kb_app = typer.Typer(help="Knowledge bases: ingest files, list, search.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")

DbOption = Annotated[str | None, typer.Option(
    "--db", help="database URL (default: $CALLPILOT_DATABASE_URL, else sqlite:///./callpilot.db)")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="YAML settings file (default: $CALLPILOT_CONFIG)", exists=True, dir_okay=False)]
ApiKeyOption = Annotated[str | None, typer.Option(
    "--api-key", envvar="CALLPILOT_API_KEY", help="API key sent as X-API-Key")]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the API server (OpenAPI docs at /docs)."""
    import uvicorn

    from callpilot.api.app import create_app
    from callpilot.core.logging import configure_logging

    settings = _settings(config, database_url=db, host=host, port=port)
    if settings.api_key is None and not _is_loopback(settings.host):
        typer.echo(f"error: refusing to bind to {settings.host} without an API key; set CALLPILOT_API_KEY "
                   "(or bind to 127.0.0.1)", err=True)
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_format)
    # No per-message deflate: compressing small JSON frames cost more CPU than it saved (benchmark profile).
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                access_log=False, lifespan="on", timeout_graceful_shutdown=5, ws_per_message_deflate=False,
                ws_max_size=settings.max_body_bytes)


@app.command()
def replay(
    files: Annotated[list[Path] | None, typer.Argument(
        help="transcript JSON files", exists=True, dir_okay=False)] = None,
    audio: Annotated[Path | None, typer.Option(
        "--audio", help="stream this recording (WAV, FLAC, MP3) instead, over --protocol", exists=True,
        dir_okay=False)] = None,
    protocol: Annotated[str, typer.Option(help="with --audio: twilio, audiohook or browser")] = "twilio",
    roles: Annotated[str, typer.Option(
        help="with --audio: the roles of a stereo file's left and right channels")] = "agent,customer",
    url: Annotated[str, typer.Option(help="server base URL")] = "http://127.0.0.1:8000",
    speed: Annotated[float, typer.Option(help="playback speed; 2 = twice real time", min=0.001)] = 1.0,
    concurrency: Annotated[int, typer.Option(help="copies of each file replayed at once", min=1)] = 1,
    api_key: ApiKeyOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print a summary only, not every event")] = False,
    wrap_up_seconds: Annotated[float, typer.Option(
        help="after the call ends, how long to wait for its after-call analysis (0: stop at the end)", min=0)] = 10.0,
) -> None:
    """Replay transcript files against a running server, as an ACD would, printing the events streamed back;
    or, with --audio, stream a recording at real-time pace over Twilio Media Streams, Genesys AudioHook or
    the browser protocol."""
    from callpilot.replay.runner import replay_files

    if audio is not None:
        _replay_audio(audio, url=url, protocol=protocol, speed=speed, api_key=api_key, roles=roles)
        return
    if not files:
        typer.echo("error: give transcript files, or --audio FILE", err=True)
        raise typer.Exit(2)
    try:
        ok = asyncio.run(replay_files(files, url=url, speed=speed, concurrency=concurrency, api_key=api_key,
                                      quiet=quiet, wrap_up_seconds=wrap_up_seconds))
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if ok else 1)


@app.command()
def demo(
    speed: Annotated[float, typer.Option(help="playback speed of the sample call", min=0.001)] = 4.0,
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
    db: DbOption = None,
    call: Annotated[str, typer.Option(help="sample call to replay (a name under examples/calls or a path)")]
    = "home_services_booking",
    keep_serving: Annotated[bool | None, typer.Option(
        "--keep-serving/--exit", help="keep the server up after the replay (default: when run in a terminal)")]
    = None,
    start_delay: Annotated[float | None, typer.Option(
        help="seconds between start-up and the call, to open the pages first (default: 8 in a terminal, else 0)",
        min=0)] = None,
) -> None:
    """Start the server on the embedded default, replay a sample call into it, and show it flowing live, in the
    terminal and on the agent desktop and supervisor pages (their URLs are printed first)."""
    from callpilot.demo import run_demo

    settings = _settings(None, database_url=db, port=port)
    if settings.api_key is None:
        settings = settings.model_copy(update={"api_key": SecretStr(secrets.token_urlsafe(24))})
    keep = sys.stdout.isatty() if keep_serving is None else keep_serving
    try:
        delay = (8.0 if sys.stdout.isatty() else 0.0) if start_delay is None else start_delay
        asyncio.run(run_demo(settings, call=call, speed=speed, keep_serving=keep, start_delay=delay))
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def bench(
    sections: Annotated[list[str] | None, typer.Argument(
        help="sections to run: pipeline, inline, rules, signals, sentiment, pii, intent, retrieval, assist, "
             "aftercall, delivery, speech (default: all)")] = None,
    smoke: Annotated[bool, typer.Option("--smoke", help="a few seconds each, to check the harness; writes "
                                                         "nothing unless --out is given")] = False,
    calls: Annotated[int, typer.Option(help="pipeline: concurrent calls")] = 50,
    rate: Annotated[float, typer.Option(help="pipeline: target segments/s of the fixed-rate run")] = 500.0,
    duration: Annotated[float, typer.Option(help="pipeline: seconds per run")] = 20.0,
    repeats: Annotated[int, typer.Option(help="pipeline: times the fixed-rate run is repeated", min=1)] = 3,
    postgres_url: Annotated[str | None, typer.Option(
        envvar="CALLPILOT_BENCH_POSTGRES_URL", help="pipeline: also run on this PostgreSQL database (it is "
                                                    "emptied)")] = None,
    out: Annotated[Path | None, typer.Option(help="markdown report (default docs/benchmarks.md; JSON beside it)")]
    = None,
) -> None:
    """Run the benchmarks and write their sections of docs/benchmarks.md (the others are kept)."""
    from callpilot.bench.run import SECTIONS, run_benchmarks

    chosen = sections or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        typer.echo(f"error: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", err=True)
        raise typer.Exit(2)
    try:
        ok = run_benchmarks(chosen, smoke=smoke, calls=calls, rate=rate, duration=duration, repeats=repeats,
                            postgres_url=postgres_url, out=out)
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(0 if ok else 1)


@app.command()
def redact(
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", help="TYPE=redact|mask|keep, e.g. CARD_NUMBER=mask (repeatable; default: settings, else redact)")]
    = None,
    config: ConfigOption = None,
) -> None:
    """Redact personal data: JSON lines on stdin, one JSON line per input line on stdout.

    {"text": ...} gives {"text", "entities": [{"type", "start", "end"}]}; {"segments": [{"speaker", "text"}, ...]}
    (one call, in order; numbers read out over several segments are joined) gives {"segments", "entities":
    [{"type", "segment", "start", "end"}]}. Offsets are into the input text. A bad line gives {"error": ...}.
    """
    from callpilot.analyzers.pii.batch import redact_lines
    from callpilot.analyzers.pii.redactor import PiiRedactor
    from callpilot.core.logging import configure_logging

    configure_logging("warning", "console")  # stdout carries the JSON lines; logs go to stderr

    settings = _settings(config)
    policies = dict(settings.analyzers.get("pii", {}).get("policies", {}))
    for item in policy or []:
        name, sep, value = item.partition("=")
        if not sep:
            typer.echo(f"error: --policy {item!r}: expected TYPE=redact|mask|keep", err=True)
            raise typer.Exit(2)
        policies[name] = value
    try:
        redactor = PiiRedactor(policies=policies)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    out = sys.stdout.buffer
    for line in redact_lines(redactor, sys.stdin.buffer):
        out.write(line + b"\n")
        out.flush()


@app.command()
def intent(
    taxonomy: Annotated[Path | None, typer.Option(
        "--taxonomy", help="intent taxonomy YAML (default: settings, else the shipped contact-center taxonomy)",
        exists=True, dir_okay=False)] = None,
    config: ConfigOption = None,
) -> None:
    """Classify JSON lines on stdin: {"text": ...} or {"segments": [...]} gives {"intent", "confidence",
    "entities": [{"type", "value", "start", "end"[, "segment"]}]}; a bad line gives {"error": ...}."""
    from callpilot.analyzers.context.cli_io import run_intent_lines
    from callpilot.core.logging import configure_logging

    configure_logging("warning", "console")  # stdout carries the JSON lines; logs go to stderr

    options = _settings(config).analyzers.get("context", {})
    try:
        run_intent_lines(taxonomy or options.get("taxonomy"), sys.stdin, sys.stdout,
                         model_path=options.get("model_path"), products=options.get("products", ()))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _roles(text: str) -> list[Any]:
    roles = [r.strip() for r in text.split(",") if r.strip()]
    if not roles or len(roles) > 2 or any(r not in ("agent", "customer") for r in roles):
        typer.echo(f"error: --roles {text!r}: one or two of agent, customer (left, right)", err=True)
        raise typer.Exit(2)
    return roles


def _replay_audio(audio: Path, *, url: str, protocol: str, speed: float, api_key: str | None, roles: str) -> None:
    from callpilot.ingress.clients import PROTOCOLS
    from callpilot.speech.cli_io import replay_audio

    if protocol not in PROTOCOLS:
        typer.echo(f"error: --protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}", err=True)
        raise typer.Exit(2)
    try:
        call_id = asyncio.run(replay_audio(audio, url=url, protocol=protocol, speed=speed,
                                           api_key=api_key, roles=_roles(roles)))
    except (CallpilotError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"streamed {audio} as call {call_id} over {protocol}")


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="a recording: WAV (PCM, mu-law, A-law), FLAC or MP3", exists=True,
                                         dir_okay=False)],
    roles: Annotated[str, typer.Option(
        help="the roles of a stereo file's left and right channels (a mono file: the one role)")] = "agent,customer",
    mono: Annotated[bool, typer.Option("--mono", help="find the speakers by clustering voices (mono audio; a "
                                                      "stereo file is mixed down)")] = False,
    engine: Annotated[str | None, typer.Option(help="speech engine (default: settings speech.engine)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the transcript here (default: stdout)")] = None,
    redacted_audio: Annotated[Path | None, typer.Option(
        "--redacted-audio", help="write the recording here as WAV with the personal data silenced")] = None,
    config: ConfigOption = None,
) -> None:
    """Transcribe a recording into the replay format (segments with speaker, text, start, end, words with
    times), redacted as live segments are."""
    from callpilot.core.logging import configure_logging
    from callpilot.speech.cli_io import transcribe_file

    configure_logging("warning", "console")
    settings = _settings(config)
    if engine is not None:
        settings = settings.model_copy(update={"speech": settings.speech.model_copy(update={"engine": engine})})
    try:
        result = asyncio.run(transcribe_file(settings, file, roles=None if mono else _roles(roles),
                                             redacted_audio=redacted_audio))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    text = result.transcript.model_dump_json(indent=2, exclude_none=True)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"{out}: {len(result.transcript.segments)} segments, {len(result.spans)} spans silenced",
                   err=True)


@app.command()
def analyze(
    files: Annotated[list[str], typer.Argument(
        help="transcript JSON files; '-' reads transcripts as JSON lines on stdin")],
    fields: Annotated[Path | None, typer.Option(
        "--fields", help="CRM field schema YAML (default: settings analyzers.aftercall.fields_file)", exists=True,
        dir_okay=False)] = None,
    taxonomy: Annotated[Path | None, typer.Option(
        "--taxonomy", help="intent taxonomy YAML (default: settings, else the shipped one)", exists=True,
        dir_okay=False)] = None,
    dispositions: Annotated[Path | None, typer.Option(
        "--dispositions", help="disposition set YAML (default: Booked, Lead, Spam, Resolved, Unresolved, "
        "Escalated, Callback)", exists=True, dir_okay=False)] = None,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="local (offline, the default) or llm (analyzers.aftercall.llm in the settings)")] = None,
    config: ConfigOption = None,
) -> None:
    """After-call analysis of transcript files: one JSON line per input, in input order, with the summary,
    intent, resolution, action items, disposition, fields (keyed by the schema's names), sentiment,
    compliance, confidence and review flags. Each transcript is redacted first; a bad input gives
    {"input", "error"} and the rest goes on (exit 1)."""
    from callpilot.aftercall.batch import BatchAnalyzer, items_from_files
    from callpilot.core.logging import configure_logging

    configure_logging("warning", "console")  # stdout carries the JSON lines; logs go to stderr
    if engine is not None and engine not in ("local", "llm"):
        typer.echo(f"error: --engine {engine!r}: choose local or llm", err=True)
        raise typer.Exit(2)
    settings = _settings(config)
    try:
        batch = BatchAnalyzer.from_settings(settings, fields_file=fields, taxonomy=taxonomy,
                                            dispositions_file=dispositions, engine=engine)
        summary = asyncio.run(batch.run(items_from_files(files, sys.stdin), sys.stdout))
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(1 if summary.failed else 0)


@rules_app.command("check")
def rules_check(
    ruleset: Annotated[str, typer.Argument(help="a shipped ruleset (banking, home_services) or a YAML file")],
    files: Annotated[list[Path], typer.Argument(help="transcript JSON files", exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 on any violation or missed requirement")] = False,
) -> None:
    """Run a ruleset over recorded transcripts; print the violations and the final checklist of each."""
    from callpilot.analyzers.rules.check import check_files, format_json, format_text

    try:
        report = check_files(ruleset, files)
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None
    typer.echo(format_json(report) if as_json else format_text(report))
    raise typer.Exit(1 if strict and not report.clean else 0)


KbOption = Annotated[str, typer.Option("--kb", help="knowledge-base name")]


def _knowledge(db: str | None, config: Path | None) -> Any:
    from callpilot.assist.knowledge import knowledge_for
    from callpilot.core.logging import configure_logging

    settings = _settings(config, database_url=db)
    # stdout carries the command's output (JSON lines for --batch); logs go to stderr, warnings and up only.
    configure_logging("warning", "console")
    try:
        return knowledge_for(settings, shared=False)
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@kb_app.command("ingest")
def kb_ingest(
    paths: Annotated[list[Path], typer.Argument(help="files and folders (Markdown, HTML, text, PDF, FAQ CSV/JSON)")],
    kb: KbOption = "default",
    max_file_mb: Annotated[float, typer.Option(help="refuse files larger than this", min=0.001)] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON line per file")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Ingest into a knowledge base, incrementally: unchanged files are skipped, files gone from an ingested
    folder are removed. A file that cannot be read is reported and the rest goes on (exit 1 at the end)."""
    import orjson

    service = _knowledge(db, config)
    try:
        report = service.ingest(paths, kb=kb, max_file_bytes=int(max_file_mb * 1024 * 1024))
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()
    for item in report.files:
        if as_json:
            typer.echo(orjson.dumps(item.to_json()).decode())
        elif item.status != "unchanged":
            extra = f": {item.message}" if item.message else f" ({item.documents} documents, {item.chunks} chunks)"
            typer.echo(f"{item.status:9} {item.path}{extra if item.status != 'removed' else ''}",
                       err=item.status == "failed")
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("added", "updated", "unchanged", "removed", "skipped",
                                                           "failed") if report.count(s))
    typer.echo(f"knowledge base {kb!r}: {counts or 'no files'}", err=True)
    raise typer.Exit(0 if report.ok else 1)


@kb_app.command("list")
def kb_list(db: DbOption = None, config: ConfigOption = None) -> None:
    """The knowledge bases with their document, chunk and file counts."""
    service = _knowledge(db, config)
    try:
        infos = service.store.list_kbs()
    finally:
        service.close()
    if not infos:
        typer.echo("no knowledge bases yet (callpilot kb ingest PATH)", err=True)
    for info in infos:
        typer.echo(f"{info.name}\t{info.documents} documents\t{info.chunks} chunks\t{info.files} files\t"
                   f"updated {info.updated_at:%Y-%m-%d %H:%M}")


@kb_app.command("search")
def kb_search(
    query: Annotated[str | None, typer.Argument(help="what to look for (omit with --batch)")] = None,
    k: Annotated[int, typer.Option("--k", help="results (distinct documents)", min=1, max=100)] = 5,
    batch: Annotated[bool, typer.Option("--batch", help='read {"query": ...} JSON lines on stdin, write one '
                                                         '{"results": [...]} line each')] = False,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense")] = "hybrid",
    kb: KbOption = "default",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Search a knowledge base: results are distinct documents, best first, with id, title, score, source and
    a snippet whose answering sentence is at [highlight[0], highlight[1])."""
    import orjson

    if mode not in ("hybrid", "bm25", "dense"):
        typer.echo(f"error: --mode {mode!r}: choose hybrid, bm25 or dense", err=True)
        raise typer.Exit(2)
    if (query is None) == (not batch):
        typer.echo("error: give a query, or --batch to read queries from stdin", err=True)
        raise typer.Exit(2)
    service = _knowledge(db, config)
    try:
        service.index(kb)
        lines = sys.stdin if batch else [orjson.dumps({"query": query}).decode()]
        for line in lines:
            if not line.strip():
                continue
            typer.echo(orjson.dumps(_search_line(service, kb, line, k, mode)).decode())
            sys.stdout.flush()
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()


def _search_line(service: Any, kb: str, line: str, k: int, mode: str) -> dict[str, Any]:
    import orjson

    try:
        request = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {"error": f"not valid JSON: {exc}"}
    text = request.get("query") if isinstance(request, dict) else None
    if not isinstance(text, str) or not text.strip():
        return {"error": 'expected {"query": "non-empty text"}'}
    return {"results": [hit.to_json() for hit in service.search(kb, [text], k=k, mode=mode)]}


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, config: ConfigOption = None) -> None:
    """Create or migrate the event store's schema to the newest version."""
    from callpilot.eventlog.factory import describe_url, open_event_log

    settings = _settings(config, database_url=db)

    async def run() -> None:
        log = open_event_log(settings.database_url, settings)
        await log.start()  # start() migrates
        await log.close()

    try:
        asyncio.run(run())
    except CallpilotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"schema is up to date: {describe_url(settings.database_url)}")


@db_app.command("events")
def db_events(
    call_id: Annotated[str, typer.Argument(help="call id")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Print one call's events as JSON lines, in order."""
    from callpilot.eventlog.factory import open_event_log

    settings = _settings(config, database_url=db)

    async def run() -> int:
        log = open_event_log(settings.database_url, settings)
        await log.start()
        try:
            events = await log.read_call(call_id)
        finally:
            await log.close()
        for recorded in events:
            typer.echo(recorded.to_json().decode())
        return len(events)

    if asyncio.run(run()) == 0:
        typer.echo(f"no events for call {call_id!r}", err=True)
        raise typer.Exit(1)


def main() -> None:
    app()
