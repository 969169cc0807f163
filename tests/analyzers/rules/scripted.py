"""A call driven segment by segment through the rules analyzer, folded as the pipeline folds it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from callpilot.analyzers.rules import RulesAnalyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, Event, RecordedEvent, SegmentReceived


class ScriptedCall:
    def __init__(self, analyzer: RulesAnalyzer, *, queue: str | None = None, campaign: str | None = None) -> None:
        self.analyzer = analyzer
        self.call = CallState(call_id="c1")
        self.events: list[Event] = []
        self._clock = 0.0
        acd = {"campaign": campaign} if campaign else {}
        self._record(CallStarted(agent_id="a1", queue=queue, acd_metadata=acd))

    def _record(self, event: Event) -> None:
        seq = self.call.seq + 1
        self.call.apply(RecordedEvent(position=seq, call_id="c1", seq=seq, event=event,
                                      recorded_at=datetime.now(UTC)))

    async def say(self, speaker: str, text: str, seconds: float = 3.0, *, final: bool = True) -> list[Event]:
        """One segment of ``seconds`` right after the previous one; returns the analyzer's events for it."""
        start, self._clock = self._clock, self._clock + seconds
        event = SegmentReceived(segment_id=f"s{len(self.call.segments)}", speaker=speaker,  # type: ignore[arg-type]
                                text=text, start=start, end=self._clock, final=final)
        produced = await self.analyzer.analyze(self.call, event)
        self._record(event)
        for out in produced:
            self._record(out)
        self.events += produced
        return produced

    async def end(self) -> list[Event]:
        ended = CallEnded()
        produced = await self.analyzer.analyze(self.call, ended)
        self._record(ended)
        for out in produced:
            self._record(out)
        self.events += produced
        return produced

    @property
    def state(self) -> dict[str, Any]:
        return self.call.analyzers["rules"]  # type: ignore[no-any-return]

    def status(self, rule_id: str) -> str:
        return self.state["checklist"][rule_id]["status"]  # type: ignore[no-any-return]

    def violated(self) -> list[str]:
        return [v["rule_id"] for v in self.state["violations"]]
