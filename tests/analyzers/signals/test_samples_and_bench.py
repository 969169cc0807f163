"""The sample calls give the signals a person would flag, and the benchmark measures what it says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from callpilot.bench.signals import bench_signals
from callpilot.replay.transcript import load_transcript
from tests.analyzers.signals._support import feed

CALLS = Path(__file__).resolve().parents[3] / "examples" / "calls"


@pytest.mark.parametrize("name, expected", [
    ("billing_dispute_escalation", {"repeated_question": 2, "frustration": 3, "human_requested": 2}),
    ("bank_card_replacement", {}),
    ("home_services_booking", {}),
    ("tech_support_error_code", {}),
])
async def test_sample_calls(name: str, expected: dict[str, int]) -> None:
    transcript = load_transcript(CALLS / f"{name}.json")
    signals, _ = await feed([(s.speaker, s.text, s.start, s.end) for s in transcript.segments])
    assert dict(Counter(s.signal for s in signals)) == expected


def test_bench_reports_each_position() -> None:
    results, lines = bench_signals(positions=(5, 40), samples=20)
    assert set(results["positions"]) == {5, 40}
    for row in results["positions"].values():
        assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"] and row["state_chars"] > 0
    assert lines[2].startswith("| call position") and len(lines) == 6
