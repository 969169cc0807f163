"""Endpointing: VAD frame decisions -> utterance start and end, with pre-roll and a silence hangover."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Endpointer", "EndpointSettings"]


@dataclass(frozen=True)
class EndpointSettings:
    start_frames: int = 3  # voiced frames out of the last ``start_window`` that open an utterance
    start_window: int = 5
    end_silence_seconds: float = 0.25  # unvoiced time that closes one (the floor of end-of-speech latency)
    pre_roll_seconds: float = 0.3  # audio kept from before the opening, so first phones are not cut
    max_utterance_seconds: float = 20.0


class Endpointer:
    """Feed one VAD decision per frame; ``update`` says "start", "end" or None for that frame."""

    def __init__(self, settings: EndpointSettings, frame_seconds: float) -> None:
        self.settings = settings
        self._recent: deque[bool] = deque(maxlen=settings.start_window)
        self._end_frames = max(1, round(settings.end_silence_seconds / frame_seconds))
        self._max_frames = max(1, round(settings.max_utterance_seconds / frame_seconds))
        self.pre_roll_frames = max(0, round(settings.pre_roll_seconds / frame_seconds))
        self.in_speech = False
        self._silent = 0
        self._length = 0

    @property
    def trailing_silence_frames(self) -> int:
        return self._silent

    def update(self, voiced: bool) -> str | None:
        if not self.in_speech:
            self._recent.append(voiced)
            if sum(self._recent) >= self.settings.start_frames:
                self.in_speech, self._silent, self._length = True, 0, 0
                self._recent.clear()
                return "start"
            return None
        self._length += 1
        self._silent = 0 if voiced else self._silent + 1
        if self._silent >= self._end_frames or self._length >= self._max_frames:
            self.in_speech = False
            return "end"
        return None
