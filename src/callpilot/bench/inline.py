"""The inline analyzer chain's cost per segment, on one core, without the server or the database.

Segments of the sample calls (examples/calls) are fed in order through the configured inline chain (the same
``AnalyzerRunner.process`` the service calls), and each call's state is advanced with the events produced, as
the service does after the append. Long calls are made by repeating a call's segments with shifted times, to
show that the cost per segment does not grow with the call's length.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callpilot.analyzers.registry import build_analyzers
from callpilot.core.settings import Settings
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, Event, RecordedEvent, SegmentReceived
from callpilot.pipeline.runner import AnalyzerRunner
from callpilot.replay.transcript import Transcript, load_transcript
from callpilot.runtime import analyzer_options

__all__ = ["TARGET_P99_MS", "run_inline_bench"]

TARGET_P99_MS = 10.0


def _pin_to_one_core() -> str:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return "pinned to one core"
    except (AttributeError, OSError):
        return "not pinned (this OS cannot)"


class _Call:
    def __init__(self, call_id: str, metadata: dict[str, Any]) -> None:
        self.state = CallState(call_id=call_id)
        self.seq = 0
        self.apply(CallStarted(agent_id="bench", customer_name=metadata.get("customer_name"),
                               queue=metadata.get("queue")))

    def apply(self, event: Event) -> None:
        self.seq += 1
        self.state.apply(RecordedEvent(position=self.seq, call_id=self.state.call_id, seq=self.seq, event=event,
                                       recorded_at=datetime.now(UTC)))


async def _feed(runner: AnalyzerRunner, transcript: Transcript, call_id: str, repeats: int,
                timings: list[tuple[int, float]]) -> None:
    call = _Call(call_id, transcript.metadata)
    offset, index = 0.0, 0
    for _ in range(repeats):
        for seg in transcript.segments:
            event = SegmentReceived(segment_id=f"s{index}", speaker=seg.speaker, text=seg.text,
                                    start=seg.start + offset, end=seg.end + offset)
            started = time.perf_counter()
            stored, produced = await runner.process(call.state, event, trigger_seq=call.seq + 1)
            timings.append((index, time.perf_counter() - started))
            for e in (stored, *produced):
                call.apply(e)
            index += 1
        offset += transcript.duration + 5.0
    _, produced = await runner.process(call.state, CallEnded(), trigger_seq=call.seq + 1)


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3), "segments": len(ordered)}


def run_inline_bench(settings: Settings, calls_dir: Path, *, repeats: int = 8) -> dict[str, Any]:
    """Feed every sample call ``repeats`` times over (one long call each); per-segment percentiles overall and
    by position in the call."""
    pinned = _pin_to_one_core()
    names = settings.pipeline.inline
    runner = AnalyzerRunner(build_analyzers(names, analyzer_options(settings)), path="bench", max_failures=3)
    transcripts = [load_transcript(p) for p in sorted(calls_dir.glob("*.json"))]
    if not transcripts:
        raise FileNotFoundError(f"no sample calls in {calls_dir}")
    timings: list[tuple[int, float]] = []
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
    return {"analyzers": names, "pinned": pinned, "overall": overall, "by_position": by_position,
            "target_p99_ms": TARGET_P99_MS, "met": overall["p99_ms"] < TARGET_P99_MS}


def inline_markdown(result: dict[str, Any]) -> list[str]:
    overall = result["overall"]
    lines = [
        "## The inline analyzer chain, per segment",
        "",
        f"Target: p99 < {TARGET_P99_MS:.0f} ms per segment for the whole inline chain on one core. Chain: "
        f"`{' → '.join(result['analyzers'])}`. The sample calls are fed in order, each repeated to make long "
        f"calls; the process is {result['pinned']}. Measured in-process (no HTTP, no database): "
        "`AnalyzerRunner.process` on each segment, state advanced with what it produced.",
        "",
        "| segments | p50 ms | p99 ms | max ms | target |",
        "|---|---|---|---|---|",
        f"| all ({overall['segments']}) | {overall['p50_ms']} | {overall['p99_ms']} | {overall['max_ms']} | "
        f"{'**met**' if result['met'] else '**missed**'} |",
    ]
    for label, p in result["by_position"].items():
        lines.append(f"| {label} ({p['segments']}) | {p['p50_ms']} | {p['p99_ms']} | {p['max_ms']} | |")
    return [*lines, ""]
