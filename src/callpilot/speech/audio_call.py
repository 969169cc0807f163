"""One call's audio -> the same SegmentReceived events the transcript API writes, and its recording.

Each channel (a role) is resampled to 16 kHz, transcribed as it arrives, and each partial or final
utterance is written through the call service, so PII redaction, rules, assist and after-call work run on
it unchanged. At the end the open utterances are finished, the recording is stored with the personal data
the stored text no longer holds silenced, and the call is ended.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import soundfile as sf

from callpilot.core.errors import CallAlreadyEnded, CallpilotError
from callpilot.core.logging import get_logger
from callpilot.domain.events import Speaker
from callpilot.domain.events.recording import RecordingStored, SilencedSpan
from callpilot.service.calls import CallService, NewCall, NewSegment
from callpilot.speech.channel import ChannelTranscriber, Utterance
from callpilot.speech.recording.redaction import apply_silence, pii_spans
from callpilot.speech.recording.store import RecordingStore
from callpilot.speech.resample import Resampler

__all__ = ["AudioCall", "FinalSegment"]

log = get_logger(__name__)
_FINAL_ATTEMPTS = 3


@dataclass
class FinalSegment:
    """A final utterance as written, with its raw words (memory only) and the stored (redacted) text."""

    role: Speaker
    utterance: Utterance
    stored_text: str | None = None
    latency_ms: float | None = None


@dataclass
class _Channel:
    transcriber: ChannelTranscriber
    resampler: Resampler
    audio: list[npt.NDArray[np.int16]] = field(default_factory=list)


class AudioCall:
    SAMPLE_RATE = 16000

    def __init__(self, calls: CallService, call_id: str, channels: dict[Speaker, ChannelTranscriber], *,
                 source_rate: int, recordings: RecordingStore | None, redaction: str = "silence",
                 trace_id: str | None = None) -> None:
        self.calls, self.call_id, self.trace_id = calls, call_id, trace_id
        self.channels = {role: _Channel(t, Resampler(source_rate, self.SAMPLE_RATE)) for role, t in channels.items()}
        self.recordings, self.redaction = recordings, redaction
        self.finals: list[FinalSegment] = []
        self.partials = 0
        self.ended = False
        self.last_audio = time.monotonic()

    async def start(self, call: NewCall) -> None:
        await self.calls.start_call(call.model_copy(update={"call_id": self.call_id}), trace_id=self.trace_id)

    async def push(self, role: Speaker, pcm: npt.NDArray[np.int16]) -> list[Utterance]:
        """Audio of one channel at the source rate; returns what it completed (already written)."""
        if self.ended:
            raise CallAlreadyEnded(self.call_id)
        channel = self.channels.get(role)
        if channel is None:
            raise ValueError(f"call {self.call_id} has no {role} channel")
        self.last_audio = time.monotonic()
        audio = channel.resampler.process(pcm)
        if self.recordings is not None:
            channel.audio.append(audio)
        utterances = await channel.transcriber.push(audio.tobytes())
        for utterance in utterances:
            await self._write(role, utterance)
        return utterances

    async def _write(self, role: Speaker, utterance: Utterance) -> None:
        segment = NewSegment(speaker=role, text=utterance.text, start_time=utterance.start,
                             end_time=max(utterance.end, utterance.start), confidence=utterance.confidence,
                             final=utterance.final, segment_id=utterance.segment_id if utterance.final else None)
        if not utterance.final:
            try:
                await self.calls.add_segment(self.call_id, segment, trace_id=self.trace_id)
                self.partials += 1
            except CallpilotError as exc:  # a lost partial is replaced by the next one or the final
                log.warning("partial_segment_dropped", call_id=self.call_id, error=str(exc))
            return
        final = FinalSegment(role=role, utterance=utterance)
        for attempt in range(_FINAL_ATTEMPTS):
            try:
                outcome = await self.calls.add_segment(self.call_id, segment, trace_id=self.trace_id)
                break
            except CallpilotError as exc:  # the segment id makes the retry idempotent
                if attempt == _FINAL_ATTEMPTS - 1:
                    log.error("final_segment_failed", call_id=self.call_id, segment_id=utterance.segment_id,
                              error=str(exc))
                    raise
        stored = outcome.segment.event
        final.stored_text = getattr(stored, "text", None)
        if utterance.speech_end_wall is not None:
            final.latency_ms = round((time.perf_counter() - utterance.speech_end_wall) * 1000, 1)
        self.finals.append(final)

    async def end(self, status: str = "completed") -> RecordingStored | None:
        """Finish every channel, store the recording, end the call. Safe to call twice."""
        if self.ended:
            return None
        self.ended = True
        try:
            for role, channel in self.channels.items():
                tail = channel.resampler.process(np.zeros(0, dtype=np.int16), last=True)
                if self.recordings is not None and len(tail):
                    channel.audio.append(tail)
                for utterance in await channel.transcriber.flush():
                    await self._write(role, utterance)
            recording = await self._store_recording()
        finally:
            for channel in self.channels.values():
                await channel.transcriber.recognizer.close()
            await self.calls.end_call(self.call_id, status, trace_id=self.trace_id)
        return recording

    async def _store_recording(self) -> RecordingStored | None:
        if self.recordings is None:
            return None
        roles = list(self.channels)
        tracks = [np.concatenate(self.channels[r].audio) if self.channels[r].audio else np.zeros(0, np.int16)
                  for r in roles]
        length = max((len(t) for t in tracks), default=0)
        if length == 0:
            return None
        spans = await self._silenced_spans()
        stacked = np.zeros((length, len(roles)), dtype=np.int16)
        for index, (role, track) in enumerate(zip(roles, tracks, strict=True)):
            stacked[: len(track), index] = apply_silence(track, self.SAMPLE_RATE,
                                                         [s for s in spans if s.channel == role],
                                                         mode=self.redaction)
        buffer = io.BytesIO()
        sf.write(buffer, stacked, self.SAMPLE_RATE, format="FLAC", subtype="PCM_16")
        uri = await self.recordings.save(self.call_id, buffer.getvalue(), extension="flac")
        event = RecordingStored(uri=uri, format="flac", sample_rate=self.SAMPLE_RATE, channels=list(roles),
                                duration=round(length / self.SAMPLE_RATE, 3), silenced=spans,
                                redaction=self.redaction)
        await self.calls.record_event(self.call_id, event, trace_id=self.trace_id)
        return event

    async def _silenced_spans(self) -> list[SilencedSpan]:
        """Align each final's raw words with its stored text as it is now (amendments included)."""
        state = await self.calls.get_call(self.call_id)
        stored = {s.segment_id: s.text for s in state.segments}
        spans: list[SilencedSpan] = []
        for final in self.finals:
            text = stored.get(final.utterance.segment_id, final.stored_text)
            if text is None:
                continue
            final.stored_text = text
            utterance = final.utterance
            if utterance.words:
                spans.extend(pii_spans(final.role, utterance.words, text))
            elif text != utterance.text:  # redacted, and no word times to narrow it down: silence it all
                spans.append(SilencedSpan(channel=final.role, start=utterance.start, end=utterance.end,
                                          entity="redacted"))
        return spans
