"""Latency of the signals analyzer per segment, early and late in a long call.

The analyzer keeps a bounded running state, so the time per segment should not grow with the call: this measures
it at several call positions (after 10, 500 and 2000 segments) on a call state built the way the pipeline builds
it (every segment and every signals event applied), with sample-call texts in English plus Spanish ones.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import SegmentReceived, Speaker
from callpilot.replay.transcript import load_transcript

__all__ = ["bench_signals"]

_SPANISH: list[tuple[Speaker, str]] = [
    ("customer", "hola buenas tardes me cobraron dos veces este mes"),
    ("agent", "lo siento mucho permítame un momento por favor"),
    ("customer", "por qué me cobraron dos veces"),
    ("agent", "veo un cargo duplicado del día tres y voy a solicitar el reembolso"),
    ("customer", "no entiendo, por qué me cobraron dos veces, estoy harta"),
    ("customer", "quiero hablar con un supervisor"),
]


def _conversation() -> list[tuple[Speaker, str, float]]:
    """(speaker, text, duration) of the sample calls, then a few Spanish turns; cycled to any length."""
    turns: list[tuple[Speaker, str, float]] = []
    folder = Path(__file__).resolve().parents[3] / "examples" / "calls"
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in paths:
        turns += [(s.speaker, s.text, max(0.5, s.end - s.start)) for s in load_transcript(path).segments]
    return turns + [(speaker, text, 3.0) for speaker, text in _SPANISH]


def _segment(n: int, turns: list[tuple[Speaker, str, float]], clock: float) -> SegmentReceived:
    speaker, text, duration = turns[n % len(turns)]
    return SegmentReceived(segment_id=f"s{n}", speaker=speaker, text=text, start=clock, end=clock + duration)


def _record(call: CallState, event: Any) -> None:
    call.record(event)


async def _measure(positions: tuple[int, ...], samples: int, options: dict[str, Any]) -> dict[str, Any]:
    analyzer = SignalsAnalyzer(**options)
    turns = _conversation()
    call, clock, n = CallState(call_id="bench-signals"), 0.0, 0
    results: dict[str, Any] = {"positions": {}, "samples": samples}
    for position in sorted(positions):
        while n < position:  # build the call up to this position as the pipeline would
            segment = _segment(n, turns, clock)
            produced = await analyzer.analyze(call, segment)
            for event in (segment, *produced):
                _record(call, event)
            clock, n = segment.end + 0.6, n + 1
        timings = []
        for k in range(samples):  # the next segments, each judged against the same state
            segment = _segment(n + k, turns, clock + 3.0 * k)
            started = time.perf_counter()
            await analyzer.analyze(call, segment)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        state_bytes = len(str(call.analyzers.get("signals", {}).get("state", {})))
        results["positions"][position] = {
            "p50_ms": round(timings[len(timings) // 2], 4),
            "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 4),
            "max_ms": round(timings[-1], 4), "state_chars": state_bytes,
        }
    results["signals"] = dict(call.analyzers.get("signals", {}).get("counts", {}))
    return results


def bench_signals(positions: tuple[int, ...] = (10, 500, 2000), samples: int = 500,
                  options: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Per-segment p50/p99 latency (ms) at each call position; the numbers and a markdown table."""
    results = asyncio.run(_measure(positions, samples, options or {}))
    lines = [
        f"Signals analyzer, per segment ({samples} segments at each position):",
        "",
        "| call position (segments) | p50 ms | p99 ms | max ms | running state (chars) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for position, row in results["positions"].items():
        lines.append(f"| {position} | {row['p50_ms']:.3f} | {row['p99_ms']:.3f} | {row['max_ms']:.3f} "
                     f"| {row['state_chars']} |")
    return results, lines
