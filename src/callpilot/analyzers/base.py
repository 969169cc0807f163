"""The analyzer plug-in interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived

__all__ = ["Analyzer", "SegmentRewriter"]


class Analyzer(ABC):
    """Gets the call's state and one new event, returns the new events it concludes.

    ``call`` is the state *before* ``event``: inline analyzers run before the segment is stored, so that the
    segment and everything concluded from it are appended in one atomic write. An analyzer keeps whatever it
    needs between segments in its own output events (the state folds them into ``call.analyzers``), never in
    instance attributes: the next segment of the call may be handled by another process.

    Raise :class:`callpilot.core.errors.AnalyzerError` to say how a failure should be treated; the pipeline
    records any exception as an ``AnalyzerFailed`` event and the call goes on.
    """

    name: ClassVar[str]
    triggers: ClassVar[tuple[type[Event], ...]] = (SegmentReceived,)

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"analyzer {self.name!r} takes no options, got {sorted(options)}")

    @abstractmethod
    async def analyze(self, call: CallState, event: Event) -> list[Event]: ...


class SegmentRewriter(Analyzer):
    """An analyzer that changes the segment itself before anything stores, streams or analyzes it (PII
    redaction). It runs first in the inline chain; the later analyzers and the log see only its output."""

    @abstractmethod
    async def rewrite(self, call: CallState, event: SegmentReceived) -> tuple[SegmentReceived, list[Event]]: ...

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        return []
