"""The benchmark suite: each run against a real server process, results to docs/benchmarks.md and .json."""

from __future__ import annotations

import asyncio
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import typer

from callpilot.bench.load import LoadResult, run_load_isolated
from callpilot.bench.server import BENCH_KEY, fresh_postgres_database, server_process
from callpilot.replay.transcript import load_transcript

__all__ = ["pipeline_markdown", "run_pipeline"]

TARGET_RATE, TARGET_P99_MS = 500.0, 50.0
# The server's configurations measured: the defaults, and the inline chain alone (no background analyzer), to
# show what the background context analyzer's sentence embeddings cost on this machine.
_CONFIGS: list[tuple[str, dict[str, str]]] = [
    ("default settings", {}),
    ("inline chain only", {"CALLPILOT_PIPELINE__BACKGROUND": "[]"}),
]
_FALLBACK_TEXTS = [
    "hi I'm calling because my card was declined at the store this morning",
    "can you give me the last four digits of the card please",
    "I see two charges of eighty four ninety nine on my bill and I only ordered once",
    "the app shows error E1042 when I try to log in on version five point two",
]


def _examples() -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (root / "examples" / "calls").is_dir():
            return root / "examples" / "calls"
    return None


def _texts_and_paces(duration: float) -> tuple[list[str], list[list[float]]]:
    """Segment texts, and per-call real-time schedules cut from the sample calls at staggered offsets."""
    folder = _examples()
    transcripts = [load_transcript(p) for p in sorted(folder.glob("*.json"))] if folder else []
    if not transcripts:
        typer.echo("note: examples/calls not found; using built-in sentences and a segment every 3 s")
        return _FALLBACK_TEXTS, [[3.0 * k for k in range(int(duration / 3) + 1)]]
    texts = [s.text for t in transcripts for s in t.segments]
    paces = []
    for i in range(50):
        t = transcripts[i % len(transcripts)]
        offset = (i * 37.0) % max(1.0, t.duration - duration)
        paces.append([s.end - offset for s in t.segments if s.end >= offset])
    return texts, paces


async def _backend_runs(url: str, *, calls: int, rate: float, duration: float, repeats: int, smoke: bool,
                        pace: bool = True) -> list[LoadResult]:
    texts, paces = _texts_and_paces(duration)
    runs = []
    if pace:
        runs.append(await run_load_isolated(url, BENCH_KEY, name="real-time pace", calls=calls, duration=duration,
                                            texts=texts, pace=paces))
    for attempt in range(1, repeats + 1):  # the tail varies from run to run on a shared 2-core machine
        name = f"fixed rate {rate:.0f}/s" + (f" #{attempt}" if repeats > 1 else "")
        runs.append(await run_load_isolated(url, BENCH_KEY, name=name, calls=calls, duration=duration, texts=texts,
                                   rate=rate))
    if not smoke:
        runs.append(await run_load_isolated(url, BENCH_KEY, name="saturation", calls=calls, duration=duration,
                                   texts=texts))
    for run in runs:
        typer.echo(f"  {run.name:<22} {run.rate:8.1f} seg/s  p50 {run.percentile(50) * 1000:6.1f} ms  "
                   f"p95 {run.percentile(95) * 1000:6.1f} ms  p99 {run.percentile(99) * 1000:6.1f} ms  "
                   f"errors {run.errors}")
    return runs


async def run_pipeline(*, smoke: bool, calls: int, rate: float, duration: float, repeats: int,
                       postgres_url: str | None) -> tuple[bool, list[str], dict[str, Any]]:
    """The server under load on SQLite (and PostgreSQL when given): ok, markdown lines, data."""
    if smoke:
        calls, rate, duration, repeats = min(calls, 5), min(rate, 50.0), min(duration, 3.0), 1
    results: dict[str, list[LoadResult]] = {}
    backends: list[tuple[str, str | None]] = [("SQLite (embedded default)", None)]
    if postgres_url:
        backends.append(("PostgreSQL", postgres_url))
    with tempfile.TemporaryDirectory(prefix="callpilot-bench-") as tmp:
        for label, pg in backends:
            async with AsyncExitStack() as stack:
                if pg is None:
                    db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                else:
                    db_url, version = await stack.enter_async_context(fresh_postgres_database(pg))
                    label = f"PostgreSQL {version}"
                await asyncio.to_thread(_ingest_demo_kb, db_url)
                for config, env in _CONFIGS:
                    if smoke and env:
                        continue
                    name = f"{label}, {config}"
                    typer.echo(f"{name}: {calls} calls, {duration:.0f} s per run")
                    async with server_process(db_url, Path(tmp) / "server.log", env_extra=env) as url:
                        results[name] = await _backend_runs(url, calls=calls, rate=rate, duration=duration,
                                                            repeats=repeats, smoke=smoke, pace=not env)
    ok = all(run.errors == 0 and run.delivered == run.sent for runs in results.values() for run in runs)
    if not smoke and not postgres_url:
        typer.echo("note: no PostgreSQL URL given (--postgres-url / CALLPILOT_BENCH_POSTGRES_URL); "
                   "PostgreSQL was not measured")
    data = {label: [r.summary() for r in runs] for label, runs in results.items()}
    return ok, pipeline_markdown(results), data


def _verdict(run: LoadResult) -> str:
    if run.target_rate != TARGET_RATE:
        return ""
    met = run.rate >= TARGET_RATE * 0.98 and run.percentile(99) * 1000 < TARGET_P99_MS and run.errors == 0
    return "**met**" if met else "**missed**"


def _ingest_demo_kb(db_url: str) -> None:
    """The sample articles, so that the default settings' orchestrator searches a real knowledge base."""
    from callpilot.assist.knowledge import KnowledgeService
    from callpilot.demo import find_demo_kb

    kb = find_demo_kb()
    if kb is None:
        typer.echo("note: examples/kb not found; the orchestrator runs without a knowledge base")
        return
    service = KnowledgeService(db_url)
    try:
        service.ingest([kb])
    finally:
        service.close()


def pipeline_markdown(results: dict[str, list[LoadResult]]) -> list[str]:
    lines = [
        "## Live pipeline: segments in, events out",
        "",
        f"Target: >= {TARGET_RATE:.0f} segments/s sustained across 50 concurrent calls with p99 POST->WebSocket "
        f"< {TARGET_P99_MS:.0f} ms, on the embedded default and on PostgreSQL. Each run drives a real server "
        "process (`callpilot serve`, default settings: the whole inline chain) over HTTP and WebSocket from a "
        "load generator in another process on the same machine.",
        "",
        "Latency is from the moment a segment was due to be sent (its schedule, so a server that falls behind "
        "cannot hide it) to the moment its `SegmentReceived` event arrives on that call's WebSocket; every "
        "segment goes through the inline analyzer chain and is committed before it is streamed. "
        "*Real-time pace* replays the sample calls at their own timing; *fixed rate* spreads the target rate "
        "evenly over the calls (open loop), repeated because its tail varies from run to run; *saturation* has "
        "every call send its next segment as soon as the previous one is answered. The server process, the "
        "load generator and (for PostgreSQL) the database share the machine's cores. All runs of a backend go "
        "to one database, so later runs find a larger table. *Default settings* run the inline chain (`pii → "
        "rules → sentiment → signals → talk_stats`) and `context` then `assist` in the background (`assist` "
        "searching the demo knowledge base, examples/kb, at most once per 2 s of each call; `aftercall` when a "
        "call ends); *inline chain "
        "only* turns the background analyzers off, which shows what their sentence embeddings (context: 9-11 "
        "ms of CPU each in numpy; assist: 4-6 ms, int8) cost on a machine whose two cores also run the load "
        "generator.",
        "",
        "| backend | run | calls | segments/s | p50 ms | p95 ms | p99 ms | POST p99 ms | errors | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, runs in results.items():
        for run in runs:
            s = run.summary()
            lines.append(f"| {label} | {run.name} | {run.calls} | {s['segments_per_s']} | {s['p50_ms']} | "
                         f"{s['p95_ms']} | {s['p99_ms']} | {s['post_p99_ms']} | {run.errors} | {_verdict(run)} |")
    return [*lines, ""]
