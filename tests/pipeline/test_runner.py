from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import pytest

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.registry import build_analyzers
from callpilot.core.errors import AnalyzerError, ConfigError, ErrorCategory
from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, Event, RecordedEvent, SegmentReceived
from callpilot.pipeline.runner import AnalyzerRunner


class Exploding(Analyzer):
    name: ClassVar[str] = "exploding"

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        raise self.error


def seg(i: int = 1) -> SegmentReceived:
    return SegmentReceived(segment_id=f"s{i}", speaker="customer", text="my card number is", start=i, end=i + 1)


@pytest.mark.parametrize("error, category, permanent", [
    (AnalyzerError("bad key", category=ErrorCategory.AUTH, permanent=True), ErrorCategory.AUTH, True),
    (AnalyzerError("slow down", category=ErrorCategory.RATE_LIMIT), ErrorCategory.RATE_LIMIT, False),
    (ZeroDivisionError("secret 4111 1111"), ErrorCategory.INTERNAL, False),
])
async def test_failures_become_events(error: Exception, category: ErrorCategory, permanent: bool) -> None:
    runner = AnalyzerRunner([Exploding(error)], path="inline", max_failures=3)
    (failed,) = await runner.run(CallState(call_id="c"), seg(), trigger_seq=7)
    assert isinstance(failed, AnalyzerFailed)
    assert (failed.analyzer, failed.category, failed.permanent, failed.trigger_seq) == \
        ("exploding", category, permanent, 7)
    assert "4111" not in failed.message  # unexpected exceptions report their type, not their text


async def test_repeated_failures_disable_the_analyzer_for_the_call() -> None:
    runner = AnalyzerRunner([Exploding(RuntimeError())], path="inline", max_failures=2)
    call = CallState(call_id="c")
    for i in range(1, 4):
        for event in await runner.run(call, seg(i), trigger_seq=i):
            call.apply(RecordedEvent(position=i, call_id="c", seq=i, event=event, recorded_at=datetime.now(UTC)))
    assert call.is_disabled("exploding")
    assert call.analyzer_health["exploding"].failures == 2  # the third segment did not run it
    assert await runner.run(call, seg(9), trigger_seq=9) == []
    assert await runner.run(CallState(call_id="other"), seg(), trigger_seq=1) != []  # other calls unaffected


async def test_later_analyzers_still_run_after_one_fails() -> None:
    runner = AnalyzerRunner([Exploding(RuntimeError()), *build_analyzers(["talk_stats"], {})],
                            path="inline", max_failures=3)
    produced = await runner.run(CallState(call_id="c"), seg(), trigger_seq=1)
    assert [type(e).__name__ for e in produced] == ["AnalyzerFailed", "TalkStatsUpdated"]


@pytest.mark.parametrize("names, options, message", [
    (["nope"], {}, "unknown analyzer 'nope'"),
    (["talk_stats", "talk_stats"], {}, "listed twice"),
    (["talk_stats"], {"talk_stats": {"bogus": 1}}, "bad options"),
])
def test_bad_pipeline_settings_fail_at_build(names: list[str], options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_analyzers(names, options)
