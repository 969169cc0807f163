"""The EventLog interface every storage backend implements (see callpilot.testing.eventlog_contract)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from callpilot.domain.events import Event, RecordedEvent

__all__ = ["AppendListener", "AppendResult", "EventLog"]

AppendListener = Callable[[Sequence[RecordedEvent]], None]


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append stored; ``duplicate`` means the idempotency key was seen before and nothing was written
    (``events`` then holds the event first stored under that key)."""

    events: tuple[RecordedEvent, ...]
    duplicate: bool = False


class EventLog(ABC):
    """An append-only log of call events.

    Guarantees every backend gives (and the contract suite checks):
    - an append is atomic: all its events are stored, or none;
    - per call, sequence numbers are 1, 2, 3, ... without gaps or duplicates, even with concurrent writers;
    - global positions grow in commit order, so a reader tailing ``read(after_position=...)`` never skips an
      event that commits later with a smaller position;
    - an idempotency key is stored once per call: a retried append returns the original events.
    """

    def __init__(self) -> None:
        self._listeners: list[AppendListener] = []

    def add_listener(self, listener: AppendListener) -> None:
        """Call ``listener`` after each commit, in commit order, with the events this process appended."""
        self._listeners.append(listener)

    def _notify(self, events: Sequence[RecordedEvent]) -> None:
        for listener in self._listeners:
            listener(events)

    @abstractmethod
    def location(self) -> tuple[str, str | None]:
        """(database URL, PostgreSQL search path) this log stores into: the knowledge base lives beside it."""

    @abstractmethod
    async def start(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def append(
        self,
        call_id: str,
        events: Sequence[Event],
        *,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
        trace_id: str | None = None,
    ) -> AppendResult:
        """Append ``events`` to the call's stream.

        ``expected_seq`` is the call's last sequence number the writer has seen (0 for a new call); when another
        writer got there first, ConcurrencyConflict is raised and nothing is written. Without it the events go
        after whatever is there.
        """

    @abstractmethod
    async def read_call(self, call_id: str, *, after_seq: int = 0, limit: int | None = None
                        ) -> list[RecordedEvent]:
        """The call's events with seq > after_seq, in order."""

    @abstractmethod
    async def read(
        self,
        *,
        after_position: int = 0,
        limit: int = 1000,
        call_id: str | None = None,
        types: Sequence[str] | None = None,
    ) -> list[RecordedEvent]:
        """Events with position > after_position in position order, optionally of one call or some types."""

    @abstractmethod
    async def find_key(self, call_id: str, idempotency_key: str) -> RecordedEvent | None:
        """The event first stored under this idempotency key, if any."""

    @abstractmethod
    async def last_position(self) -> int: ...
