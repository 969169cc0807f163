"""The post-call job: when a call ends, the background path runs this analyzer, which asks the configured
engine for the analysis and records it as events.

``CallAnalyzed`` carries the result (a new ``revision`` each run), then ``ReviewRequested`` when something is
below the review threshold, or ``AnalysisApproved`` by ``auto`` when nothing is. A run after ``CallEnded`` that
finds the call already analyzed after its end does nothing (a job delivered twice), and ``POST
/v1/calls/{id}/analyze`` runs it again on demand. It runs on the background path, so it never delays a
live call.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar, Literal

from callpilot.aftercall.engines import AfterCallEngine, AfterCallOptions, build_engine
from callpilot.analyzers.base import Analyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, Event
from callpilot.domain.events.aftercall import AnalysisApproved, CallAnalyzed, ReviewRequested

__all__ = ["AfterCallAnalyzer"]


class AfterCallAnalyzer(Analyzer):
    name: ClassVar[str] = "aftercall"
    triggers: ClassVar[tuple[type[Event], ...]] = (CallEnded,)

    def __init__(self, *, built_engine: AfterCallEngine | None = None, **options: Any) -> None:
        """``options`` are the ``analyzers.aftercall`` settings (``engine`` names one); ``built_engine``
        replaces the engine they describe (tests, embedding applications)."""
        self.options = AfterCallOptions.parse(options)
        self.engine = built_engine if built_engine is not None else build_engine(self.options)

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, CallEnded):
            return []
        done = call.analyzers.get(self.name) or {}
        if done.get("end_revision") is not None:
            return []  # this call's end was analyzed already: the job ran twice
        return await self.run(call, trigger="call_ended")

    async def run(self, call: CallState, *, trigger: Literal["call_ended", "on_demand"]) -> list[Event]:
        started = time.perf_counter()
        result = await self.engine.analyze(call)
        previous = call.analyzers.get(self.name) or {}
        revision, run_id = int(previous.get("revision", 0)) + 1, uuid.uuid4().hex[:16]
        analyzed = CallAnalyzed(revision=revision, run_id=run_id, trigger=trigger, analysis=result.analysis,
                                input_seq=call.seq, elapsed_ms=round((time.perf_counter() - started) * 1000, 3),
                                usage=result.usage, fallback_reason=result.fallback_reason)
        decision: Event = (ReviewRequested(revision=revision, run_id=run_id, reasons=result.analysis.review_reasons)
                           if result.analysis.needs_review
                           else AnalysisApproved(revision=revision, run_id=run_id, approved_by="auto", auto=True))
        return [analyzed, decision]
