"""One channel (one speaker's audio) -> partial and final utterances, with word times, as audio arrives.

16 kHz PCM16 goes in in chunks of any size; it is cut into VAD frames, endpointed, and each utterance's
audio is streamed to the recognizer. Partials are offered at most every ``partial_seconds`` and only when
their text changed; a final carries the words with times on the channel's clock (seconds from its start).
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from callpilot.core.logging import get_logger
from callpilot.speech.asr.base import Hypothesis, RecognizerStream, Word
from callpilot.speech.endpointing import Endpointer, EndpointSettings
from callpilot.speech.vad import VoiceDetector

__all__ = ["ChannelTranscriber", "Utterance"]

log = get_logger(__name__)


@dataclass(frozen=True)
class Utterance:
    segment_id: str
    text: str
    start: float
    end: float
    final: bool
    confidence: float | None = None
    words: tuple[Word, ...] = field(default_factory=tuple)
    speech_end_wall: float | None = None  # perf_counter when the last voiced frame arrived (latency measure)


class ChannelTranscriber:
    FEED_SECONDS = 0.1  # audio handed to the recognizer at a time within an utterance
    CLIP_LEVEL = 32000

    def __init__(self, recognizer: RecognizerStream, vad: VoiceDetector, *,
                 endpoint: EndpointSettings | None = None, partial_seconds: float = 0.5,
                 name: str = "channel") -> None:
        self.recognizer, self.vad, self.name = recognizer, vad, name
        self.endpointer = Endpointer(endpoint or EndpointSettings(), vad.frame_seconds)
        self.partial_seconds = partial_seconds
        self._pending = b""
        self._frames = 0  # frames seen: the channel's clock
        self._pre_roll: deque[bytes] = deque(maxlen=self.endpointer.pre_roll_frames)
        self._feed: list[bytes] = []
        self._utt_start = 0.0
        self._utt_id = ""
        self._last_partial = ""
        self._last_partial_at = 0.0
        self._last_voiced_wall = 0.0
        self.samples = 0
        self.clipped = 0

    @property
    def seconds(self) -> float:
        return self._frames * self.vad.frame_seconds

    async def push(self, pcm: bytes) -> list[Utterance]:
        self._count_clipping(pcm)
        data = self._pending + pcm
        size = self.vad.frame_bytes
        whole = len(data) - len(data) % size
        self._pending = data[whole:]
        out: list[Utterance] = []
        for offset in range(0, whole, size):
            utterance = await self._frame(data[offset:offset + size])
            if utterance is not None:
                out.append(utterance)
        return out

    async def _frame(self, frame: bytes) -> Utterance | None:
        voiced = self.vad.is_speech(frame)
        if voiced:
            self._last_voiced_wall = time.perf_counter()
        event = self.endpointer.update(voiced)
        self._frames += 1
        if event == "start":
            await self._begin([*self._pre_roll, frame])
            return None
        if not self.endpointer.in_speech and event is None:
            self._pre_roll.append(frame)
            return None
        self._feed.append(frame)
        if event == "end":
            return await self._finish()
        if len(self._feed) * self.vad.frame_seconds >= self.FEED_SECONDS:
            return await self._send()
        return None

    async def _begin(self, frames: list[bytes]) -> None:
        self._pre_roll.clear()
        self._utt_start = max(0.0, self.seconds - len(frames) * self.vad.frame_seconds)
        self._utt_id = f"utt_{uuid.uuid4().hex[:16]}"
        self._last_partial, self._last_partial_at = "", time.perf_counter()
        self._feed = list(frames)
        await self.recognizer.begin()

    async def _send(self) -> Utterance | None:
        partial = await self.recognizer.accept(b"".join(self._feed))
        self._feed = []
        now = time.perf_counter()
        if (partial is None or partial.empty or partial.text == self._last_partial
                or now - self._last_partial_at < self.partial_seconds):
            return None
        self._last_partial, self._last_partial_at = partial.text, now
        return Utterance(segment_id=self._utt_id, text=partial.text, start=round(self._utt_start, 3),
                         end=round(self.seconds, 3), final=False, confidence=partial.confidence)

    async def _finish(self) -> Utterance | None:
        if self._feed:
            await self.recognizer.accept(b"".join(self._feed))
            self._feed = []
        hypothesis = await self.recognizer.end()
        return self._final(hypothesis)

    def _final(self, hypothesis: Hypothesis) -> Utterance | None:
        if hypothesis.empty:
            return None  # noise the VAD let through
        words = tuple(Word(text=w.text, start=round(self._utt_start + w.start, 3),
                           end=round(self._utt_start + w.end, 3), confidence=w.confidence)
                      for w in hypothesis.words)
        start = words[0].start if words else self._utt_start
        end = words[-1].end if words else self.seconds
        return Utterance(segment_id=self._utt_id, text=hypothesis.text, start=round(start, 3), end=round(end, 3),
                         final=True, confidence=hypothesis.confidence, words=words,
                         speech_end_wall=self._last_voiced_wall)

    async def flush(self) -> list[Utterance]:
        """The stream ended: finish the open utterance (nothing already heard is dropped)."""
        out: list[Utterance] = []
        if self._pending:
            padded = self._pending + b"\0" * (self.vad.frame_bytes - len(self._pending))
            self._pending = b""
            if (utterance := await self._frame(padded)) is not None:
                out.append(utterance)
        if self.endpointer.in_speech:
            self.endpointer.in_speech = False
            if (utterance := await self._finish()) is not None:
                out.append(utterance)
        if self.samples and self.clipped / self.samples > 0.01:
            log.warning("audio_clipped", channel=self.name, clipped_share=round(self.clipped / self.samples, 3))
        return out

    def _count_clipping(self, pcm: bytes) -> None:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype=np.int16)
        self.samples += len(x)
        self.clipped += int(np.count_nonzero(np.abs(x.astype(np.int32)) >= self.CLIP_LEVEL))
