"""What a protocol translator emits, and the interface every translator has."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from callpilot.core.errors import InvalidInput
from callpilot.domain.events import Speaker
from callpilot.service.calls import NewCall

__all__ = ["AudioReceived", "IngressEvent", "Problem", "ProtocolError", "Reply", "StreamStarted",
           "StreamStopped", "Translator"]


class ProtocolError(InvalidInput):
    """The peer broke the protocol in a way the stream cannot go on from (the route closes it)."""


@dataclass(frozen=True)
class StreamStarted:
    call: NewCall
    call_id: str
    roles: list[Speaker]
    sample_rate: int


@dataclass(frozen=True)
class AudioReceived:
    role: Speaker
    pcm: npt.NDArray[np.int16]


@dataclass(frozen=True)
class StreamStopped:
    status: str = "completed"


@dataclass(frozen=True)
class Reply:
    """A message to send back to the peer (AudioHook's opened/pong/closed, the browser's acknowledgements)."""

    message: dict[str, Any]
    close: bool = False


@dataclass(frozen=True)
class Problem:
    """A bad message the stream survives (it is dropped and counted)."""

    message: str
    details: dict[str, Any] = field(default_factory=dict)


IngressEvent = StreamStarted | AudioReceived | StreamStopped | Reply | Problem


class Translator(ABC):
    """Pure: messages in, events out. ``started`` once a call exists; ``stopped`` once it should end."""

    protocol: str
    first_message_seconds: float = 10.0  # a peer that says nothing this long after connecting is dropped
    max_problems: int = 100

    def __init__(self) -> None:
        self.started = False
        self.stopped = False
        self.problems = 0

    @abstractmethod
    def on_text(self, text: str) -> list[IngressEvent]: ...

    @abstractmethod
    def on_bytes(self, data: bytes) -> list[IngressEvent]: ...

    def on_disconnect(self) -> list[IngressEvent]:
        """The connection ended; a call still open ends as ``dropped`` (what was heard is kept)."""
        if self.started and not self.stopped:
            self.stopped = True
            return [StreamStopped(status="dropped")]
        return []

    def problem(self, message: str, **details: Any) -> Problem:
        self.problems += 1
        if self.problems > self.max_problems:
            raise ProtocolError(f"{self.protocol}: more than {self.max_problems} bad messages; last: {message}")
        return Problem(message, details)
