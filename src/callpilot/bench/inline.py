"""The inline analyzer chain's cost per segment, on one core, without the server or the database.

Segments of the sample calls (examples/calls) are fed in order through the configured inline chain (the same
``AnalyzerRunner.process`` the service calls), and each call's state is advanced with the events produced, as
the service does after the append. Long calls are made by repeating a call's segments with shifted times, to
show that the cost per segment does not grow with the call's length.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from callpilot.analyzers.registry import build_analyzers
from callpilot.core.settings import Settings
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, SegmentReceived
from callpilot.pipeline.runner import AnalyzerRunner
from callpilot.replay.transcript import Transcript, load_transcript
from callpilot.runtime import analyzer_options

__all__ = ["TARGET_P99_MS", "run_inline_bench"]

TARGET_P99_MS = 10.0


@contextlib.contextmanager
def _one_core() -> Iterator[str]:
    """Run the block pinned to one core (the affinity is restored after); yields how it went."""
    try:
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(before)})
    except (AttributeError, OSError):
        yield "not pinned (this OS cannot)"
        return
    try:
        yield "pinned to one core"
    finally:
        os.sched_setaffinity(0, before)


async def _feed(runner: AnalyzerRunner, transcript: Transcript, call_id: str, repeats: int,
                timings: list[tuple[int, float]]) -> None:
    call = CallState(call_id=call_id)
    call.record(CallStarted(agent_id="bench", customer_name=transcript.metadata.get("customer_name"),
                            queue=transcript.metadata.get("queue")))
    offset, index = 0.0, 0
    for _ in range(repeats):
        for seg in transcript.segments:
            event = SegmentReceived(segment_id=f"s{index}", speaker=seg.speaker, text=seg.text,
                                    start=seg.start + offset, end=seg.end + offset)
            started = time.perf_counter()
            stored, produced = await runner.process(call, event, trigger_seq=call.seq + 1)
            timings.append((index, time.perf_counter() - started))
            for e in (stored, *produced):
                call.record(e)
            index += 1
        offset += transcript.duration + 5.0
    await runner.process(call, CallEnded(), trigger_seq=call.seq + 1)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3), "segments": len(ordered)}


def run_inline_bench(settings: Settings, calls_dir: Path, *, repeats: int = 8,
                     names: list[str] | None = None) -> dict[str, Any]:
    """Feed every sample call ``repeats`` times over (one long call each); per-segment percentiles overall and
    by position in the call. ``names``: the chain (default: the settings' inline chain)."""
    names = names or settings.pipeline.inline
    runner = AnalyzerRunner(build_analyzers(names, analyzer_options(settings)), path="bench", max_failures=3)
    transcripts = [load_transcript(p) for p in sorted(calls_dir.glob("*.json"))]
    if not transcripts:
        raise FileNotFoundError(f"no sample calls in {calls_dir}")
    timings: list[tuple[int, float]] = []
    with _one_core() as pinned:
        # a warm-up call first: module imports, model loading and caches are not per-segment costs
        asyncio.run(_feed(runner, transcripts[0], "warm-up", 1, []))
        for i, transcript in enumerate(transcripts):
            asyncio.run(_feed(runner, transcript, f"bench-{i}", repeats, timings))
    overall = _percentiles([t for _, t in timings])
    by_position = {}
    for low, high in ((0, 50), (50, 200), (200, 10_000_000)):
        bucket = [t for index, t in timings if low <= index < high]
        if bucket:
            by_position[f"segments {low}-{high if high < 10_000_000 else 'end'}"] = _percentiles(bucket)
    # met only if it holds over the whole run and at every stage of a call (the start is the busiest)
    met = all(p["p99_ms"] < TARGET_P99_MS for p in [overall, *by_position.values()])
    return {"analyzers": names, "pinned": pinned, "overall": overall, "by_position": by_position,
            "target_p99_ms": TARGET_P99_MS, "met": met}


def inline_markdown(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## The inline analyzer chain, per segment",
        "",
        f"Target: p99 < {TARGET_P99_MS:.0f} ms per segment for the whole chain (redaction, rules, sentiment, "
        "signals, context) on one core. The sample calls are fed in order, each repeated to make long calls; "
        f"the process is {results[0]['pinned']}, and numpy's BLAS runs in it. Measured in-process (no HTTP, no "
        "database): `AnalyzerRunner.process` on each segment, the state advanced with what it produced. A chain "
        "meets the target only if its p99 is under it overall and at every stage of a call.",
        "",
        "| chain | segments | p50 ms | p99 ms | max ms | target |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        chain = " → ".join(result["analyzers"])
        overall = result["overall"]
        lines.append(f"| `{chain}` | all ({overall['segments']}) | {overall['p50_ms']} | {overall['p99_ms']} | "
                     f"{overall['max_ms']} | {'**met**' if result['met'] else '**missed**'} |")
        for label, p in result["by_position"].items():
            lines.append(f"| | {label} ({p['segments']}) | {p['p50_ms']} | {p['p99_ms']} | {p['max_ms']} | |")
    return [*lines, ""]
