"""Call states, folded from the log and kept warm in memory.

The cache is only a shortcut: every state can be rebuilt from the log, a stale one is detected by the log's
optimistic concurrency check on the next append (and then reloaded), and another process's appends are
picked up by the catch-up read in :meth:`CallStates.load`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from callpilot.domain.call import CallState, fold
from callpilot.domain.events import CallStarted, RecordedEvent
from callpilot.eventlog.base import EventLog

__all__ = ["CallStates"]


class CallStates:
    def __init__(self, log: EventLog, *, capacity: int = 5000, ended_capacity: int = 100) -> None:
        self._log = log
        self._capacity = capacity
        self._ended_capacity = ended_capacity
        self._ended: dict[str, None] = {}  # ended calls still cached, oldest first
        self._states: OrderedDict[str, CallState] = OrderedDict()
        log.add_listener(self._on_append)

    def cached(self, call_id: str) -> CallState | None:
        state = self._states.get(call_id)
        if state is not None:
            self._states.move_to_end(call_id)
        return state

    async def load(self, call_id: str, *, refresh: bool = True) -> CallState | None:
        """The call's state, or None when the log has no such call. ``refresh`` reads what other processes
        appended since the cached copy (one indexed query); the hot path skips it and relies on
        optimistic concurrency instead."""
        state = self.cached(call_id)
        if state is not None and not refresh:
            return state
        events = await self._log.read_call(call_id, after_seq=state.seq if state else 0)
        if state is None:
            if not events or not isinstance(events[0].event, CallStarted):
                return None
            state = fold(call_id, events)
            self._remember(state)
            if state.status == "ended":
                self._ended_recently(call_id)
            return state
        for recorded in events:  # the listener may have applied some of these while we read
            if recorded.seq == state.seq + 1:
                state.apply(recorded)
        return state

    def _ended_recently(self, call_id: str) -> None:
        """Keep only the last few ended calls warm (their wrap-up is read soon after the end). Keeping every
        finished call's transcript made the heap, and with it each full garbage collection, grow (the
        benchmark's tail latency)."""
        self._ended[call_id] = None
        while len(self._ended) > self._ended_capacity:
            oldest = next(iter(self._ended))
            del self._ended[oldest]
            self._states.pop(oldest, None)

    def forget(self, call_id: str) -> None:
        self._states.pop(call_id, None)

    def _remember(self, state: CallState) -> None:
        self._states[state.call_id] = state
        self._states.move_to_end(state.call_id)
        while len(self._states) > self._capacity:
            self._states.popitem(last=False)

    def _on_append(self, events: Sequence[RecordedEvent]) -> None:
        """Advance cached states in commit order as this process appends."""
        for recorded in events:
            state = self._states.get(recorded.call_id)
            if state is None:
                continue
            if recorded.seq == state.seq + 1:
                state.apply(recorded)
                if state.status == "ended":
                    self._ended_recently(recorded.call_id)
            elif recorded.seq > state.seq:  # missed something (another process): rebuild on next load
                self.forget(recorded.call_id)
