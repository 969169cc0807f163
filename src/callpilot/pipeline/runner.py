"""Runs a list of analyzers on one event, turning every failure into an AnalyzerFailed event."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from callpilot.analyzers.base import Analyzer, SegmentRewriter
from callpilot.core.errors import AnalyzerError, ErrorCategory
from callpilot.core.logging import get_logger
from callpilot.core.metrics import PIPELINE_LATENCY
from callpilot.domain.call import CallState
from callpilot.domain.events import ANALYZER_APPLIERS, AnalyzerFailed, Event, SegmentReceived

__all__ = ["AnalyzerRunner", "Emit"]

Emit = Callable[[list[Event]], Awaitable[None]]

log = get_logger(__name__)
_MAX_MESSAGE = 300
WITHHELD = "[WITHHELD: redaction failed]"


class AnalyzerRunner:
    """``path`` ("inline" or "background") labels metrics; after ``max_failures`` failures on one call an
    analyzer is disabled for the rest of that call (a permanent failure disables it at once). With ``chain``,
    each analyzer sees what the earlier ones concluded from the same event (the background path: the
    orchestrator reads the context analysis of the segment it runs on)."""

    def __init__(self, analyzers: Sequence[Analyzer], *, path: str, max_failures: int, chain: bool = False) -> None:
        self.analyzers = list(analyzers)
        self.path = path
        self.max_failures = max_failures
        self.chain = chain

    def wants(self, event: Event) -> bool:
        return any(isinstance(event, a.triggers) for a in self.analyzers)

    async def run(self, call: CallState, event: Event, *, trigger_seq: int, emit: Emit | None = None
                  ) -> list[Event]:
        """The events concluded from ``event``. With ``emit``, each analyzer's events are handed to it as soon
        as that analyzer is done (the background path stores and streams them then, so a slow analyzer later
        in the chain does not hold back a fast one's results), and nothing is returned."""
        return (await self.process(call, event, trigger_seq=trigger_seq, emit=emit))[1]

    async def process(self, call: CallState, event: Event, *, trigger_seq: int, emit: Emit | None = None
                      ) -> tuple[Event, list[Event]]:
        """The event as it is to be stored (rewritten, e.g. redacted) and the events concluded from it."""
        produced: list[Event] = []
        view = call
        for analyzer in self.analyzers:
            if not isinstance(event, analyzer.triggers):
                continue
            if emit is not None and produced:
                await emit(produced)
                produced = []
            started = time.perf_counter()
            try:
                if isinstance(analyzer, SegmentRewriter) and isinstance(event, SegmentReceived):
                    # A rewriter is never disabled: its output is what may be stored.
                    event, extra = await analyzer.rewrite(call, event)
                    produced.extend(extra)
                elif not call.is_disabled(analyzer.name):
                    new = await analyzer.analyze(view, event)
                    produced.extend(new)
                    if self.chain and new:
                        view = _with_conclusions(view, call, new)
            except Exception as exc:
                produced.append(self._failure(call, analyzer, exc, trigger_seq))
                if isinstance(analyzer, SegmentRewriter) and isinstance(event, SegmentReceived):
                    # Fail closed: text that could not be redacted is not stored, streamed or analyzed.
                    event = event.model_copy(update={"text": WITHHELD})
            finally:
                PIPELINE_LATENCY.labels(self.path, analyzer.name).observe(time.perf_counter() - started)
        if emit is not None and produced:
            await emit(produced)
            produced = []
        return event, produced

    def _failure(self, call: CallState, analyzer: Analyzer, exc: Exception, trigger_seq: int) -> AnalyzerFailed:
        if isinstance(exc, AnalyzerError):
            category, permanent, message = exc.category, exc.permanent, str(exc)
        else:
            # An unexpected exception is a bug in the analyzer; its type is logged with the traceback, and the
            # event says only the exception type, since messages may quote transcript text.
            log.error("analyzer_crashed", analyzer=analyzer.name, call_id=call.call_id, exc_info=exc)
            category, permanent, message = ErrorCategory.INTERNAL, False, f"unexpected {type(exc).__name__}"
        health = call.analyzer_health.get(analyzer.name)
        failures = (health.failures if health else 0) + 1
        if not permanent and failures >= self.max_failures:
            permanent = True
            message = f"{message} (disabled for this call after {failures} failures)"
        return AnalyzerFailed(analyzer=analyzer.name, category=category, permanent=permanent,
                              message=message[:_MAX_MESSAGE], trigger_seq=trigger_seq)


def _with_conclusions(view: CallState, call: CallState, events: Sequence[Event]) -> CallState:
    """The state as the next analyzer of a chained run sees it: what the earlier ones concluded about this
    event folded into a copy of the analyzers' state (the real state learns it when the events are stored).
    Only ``analyzers`` is copied, shallowly: the area appliers replace their entry rather than mutate it."""
    if view is call:
        view = call.model_copy(update={"analyzers": dict(call.analyzers)})
    for event in events:
        applier = ANALYZER_APPLIERS.get(type(event))
        if applier is not None:
            applier(view.analyzers, event, call.seq)
    return view
