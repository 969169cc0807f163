"""``callpilot bench``: run the chosen benchmark sections and write them into docs/benchmarks.md."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from callpilot.bench.machine import describe_machine
from callpilot.bench.report import SECTIONS, update_report

__all__ = ["SECTIONS", "run_benchmarks"]

Measured = tuple[list[str], Any]


def _examples() -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (root / "examples" / "calls").is_dir():
            return root / "examples" / "calls"
    return None


def _inline(smoke: bool) -> Measured | None:
    from callpilot.bench.inline import inline_markdown, run_inline_bench
    from callpilot.core.settings import load_settings

    calls = _examples()
    if calls is None:
        typer.echo("inline: examples/calls not found (run from a checkout); skipped")
        return None
    settings = load_settings(None)
    repeats = 1 if smoke else 8
    default = run_inline_bench(settings, calls, repeats=repeats)
    # the chain has context inline too; by default it runs in the background (see docs/analyzers.md)
    with_context = run_inline_bench(settings, calls, repeats=repeats,
                                    names=[*settings.pipeline.inline[:-1], "context", settings.pipeline.inline[-1]])
    results = [default, with_context]
    return [*inline_markdown(results),
            "The default chain leaves `context` to the background path: its sentence embedding (all-MiniLM-L6-v2 "
            "in numpy) costs 9-11 ms a segment on one core when it runs, so with it inline the p99 is that of "
            "the embedding.", ""], results


def _rules(smoke: bool) -> Measured:
    from callpilot.bench.rules import rules_bench_markdown, run_rules_bench

    result = run_rules_bench(samples=30 if smoke else 500, positions=(10, 200) if smoke else (10, 500, 2000))
    return [*rules_bench_markdown(result), ""], result


def _signals(smoke: bool) -> Measured:
    from callpilot.bench.signals import bench_signals

    result, table = bench_signals(samples=30 if smoke else 500, positions=(10, 200) if smoke else (10, 500, 2000))
    return ["## Conversation signals: time per segment", "", *table, ""], result


def _sentiment(smoke: bool) -> Measured:
    from callpilot.bench.sentiment import measure_sentiment, sentiment_markdown

    result = measure_sentiment(repeats=1 if smoke else 5)
    return sentiment_markdown(result), result


def _pii(smoke: bool) -> Measured | None:
    from callpilot.bench import pii

    if not (pii.repo_root() / "tests" / "data" / "pii_spoken.jsonl").is_file():
        typer.echo("pii: tests/data/pii_spoken.jsonl not found (run from a checkout); skipped")
        return None
    result, markdown = pii.run(repeats=1 if smoke else 5)
    result.pop("failures", None)  # long, and for development (python -m callpilot.bench.pii --failures N)
    return [*markdown, ""], result


def _intent(smoke: bool) -> Measured | None:
    from callpilot.bench.intent import run_intent_bench

    measured = run_intent_bench(None, smoke=smoke)  # says why and returns None without ../shared/data
    if measured is None:
        return None
    result, markdown = measured
    return [*markdown, ""], result


def _retrieval(smoke: bool) -> Measured | None:
    from callpilot.bench.retrieval import run_retrieval_bench

    measured = run_retrieval_bench(None, smoke=smoke)  # says why and returns None without ../shared/data
    return None if measured is None else (measured[1], measured[0])


def _assist(smoke: bool) -> Measured | None:
    from callpilot.bench.assist import run_assist_bench

    measured = run_assist_bench(None, smoke=smoke)
    return None if measured is None else (measured[1], measured[0])


def _aftercall(smoke: bool) -> Measured:
    from callpilot.bench.aftercall import FIELD_SETS, run_aftercall_bench

    result, markdown = run_aftercall_bench(None, smoke=smoke)  # says what it skipped without ../shared/data
    for key, _name in FIELD_SETS:  # for development: python -m callpilot.bench.aftercall --mistakes
        result[key].pop("mistakes", None)
    return markdown, result


def _delivery(smoke: bool) -> Measured:
    from callpilot.bench.delivery import run_delivery_bench

    result, markdown = run_delivery_bench(smoke=smoke)
    return markdown, result


def _speech(smoke: bool) -> Measured | None:
    from callpilot.bench.speech import run_speech_bench

    measured = run_speech_bench(smoke=smoke)
    if measured is None:
        typer.echo("speech: flite not installed (apt install flite); skipped")
        return None
    return measured[1], measured[0]


_RUNNERS: dict[str, Callable[[bool], Measured | None]] = {
    "inline": _inline, "rules": _rules, "signals": _signals, "sentiment": _sentiment, "pii": _pii,
    "intent": _intent, "retrieval": _retrieval, "assist": _assist, "aftercall": _aftercall, "delivery": _delivery,
    "speech": _speech,
}


def run_benchmarks(sections: list[str], *, smoke: bool, calls: int, rate: float, duration: float,
                         repeats: int, postgres_url: str | None, out: Path | None) -> bool:
    """Run ``sections`` in report order; write them to ``out`` (default docs/benchmarks.md; a smoke run writes
    only when ``out`` is given). False when a pipeline run lost or failed segments."""
    from callpilot.bench.suite import run_pipeline

    machine = describe_machine()
    measured: dict[str, Measured] = {}
    ok = True
    for name in SECTIONS:
        if name not in sections:
            continue
        typer.echo(f"== {name}")
        if name == "pipeline":
            ok, markdown, data = asyncio.run(run_pipeline(smoke=smoke, calls=calls, rate=rate, duration=duration,
                                                    repeats=repeats, postgres_url=postgres_url))
            measured[name] = (markdown, data)
            continue
        result = _RUNNERS[name](smoke)
        if result is not None:
            measured[name] = result
            for line in result[0]:
                if line.startswith("|") or "target" in line.lower():
                    typer.echo(f"  {line}")
    target = out or (None if smoke else Path("docs/benchmarks.md"))
    if target is not None and measured:
        update_report(target, machine, measured, smoke=smoke)
        typer.echo(f"wrote {', '.join(measured)} to {target} and {target.with_suffix('.json')}")
    return ok
