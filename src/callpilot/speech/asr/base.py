"""The speech-recognizer interface: one engine, many streams, one utterance at a time per stream.

The channel transcriber (callpilot.speech.channel) finds the utterances with VAD and endpointing; an engine
only turns one utterance's 16 kHz PCM16 into words. ``accept`` returns the hypothesis so far when it is cheap
to give (a partial), ``end`` the final one. Times in a ``Hypothesis`` are seconds from the utterance's start.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

__all__ = ["Hypothesis", "RecognizerStream", "SpeechRecognizer", "Word"]


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    confidence: float | None = None


@dataclass(frozen=True)
class Hypothesis:
    text: str
    words: tuple[Word, ...] = field(default_factory=tuple)
    confidence: float | None = None

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class RecognizerStream(ABC):
    """One channel's recognizer. ``begin`` / ``accept``* / ``end`` per utterance, ``close`` once."""

    @abstractmethod
    async def begin(self) -> None: ...

    @abstractmethod
    async def accept(self, pcm: bytes) -> Hypothesis | None:
        """Feed audio of the current utterance; the partial hypothesis, or None when there is none yet."""

    @abstractmethod
    async def end(self) -> Hypothesis: ...

    async def close(self) -> None:  # noqa: B027 - most engines have nothing to release
        """Release what the stream holds (a connection, a decoder)."""


class SpeechRecognizer(ABC):
    """An ASR engine. ``open`` is called once per channel of a call; engines share their model across streams."""

    name: ClassVar[str]
    sample_rate: ClassVar[int] = 16000

    @abstractmethod
    def open(self) -> RecognizerStream: ...

    async def close(self) -> None:  # noqa: B027
        """Release the engine (worker processes, clients)."""
