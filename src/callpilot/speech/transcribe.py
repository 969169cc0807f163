"""A recording -> a transcript in the replay format, redacted the way the live path redacts it.

Channels are transcribed one after the other (stereo: each channel is a role; mono: the utterances are
clustered into two speakers and the clusters named, see callpilot.speech.diarization). The finals are then
written through a call service whose inline pipeline redacts them, exactly as live segments are; the
transcript holds the stored (redacted) text and the words as the stored text has them. ``redacted_audio``
gives the recording back with the spans the redaction removed silenced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from callpilot.domain.events import Speaker
from callpilot.domain.events.recording import SilencedSpan
from callpilot.replay.transcript import Transcript, TranscriptSegment
from callpilot.service.calls import CallService, NewCall, NewSegment
from callpilot.speech.channel import Utterance
from callpilot.speech.diarization.mono import cluster_speakers
from callpilot.speech.diarization.roles import assign_roles
from callpilot.speech.files import Recording
from callpilot.speech.recording.redaction import apply_silence, pii_spans, redacted_words
from callpilot.speech.resample import Resampler
from callpilot.speech.service import SpeechService

__all__ = ["Transcription", "transcribe_channel", "transcribe_recording"]

RATE = 16000


@dataclass
class Transcription:
    transcript: Transcript
    spans: list[SilencedSpan]
    channel_roles: list[Speaker]
    mono: bool

    def redacted_audio(self, recording: Recording, *, mode: str = "silence") -> npt.NDArray[np.int16]:
        """The recording (its own rate and channels) with each PII span silenced in the channel that spoke
        it (a mono transcription: in every channel)."""
        out = recording.samples.copy()
        for index in range(recording.channels):
            role = None if self.mono else self.channel_roles[index]
            spans = [s for s in self.spans if role is None or s.channel == role]
            out[:, index] = apply_silence(recording.channel(index), recording.sample_rate, spans, mode=mode)
        return out


async def transcribe_channel(speech: SpeechService, audio: npt.NDArray[np.int16], rate: int, name: Speaker
                      ) -> list[Utterance]:
    """One channel of a recording, at its own rate, into final utterances (times from the channel's start)."""
    channel = speech.channel(name)
    resampler = Resampler(rate, RATE)
    out: list[Utterance] = []
    step = rate // 5
    for offset in range(0, len(audio), step):
        out += await channel.push(resampler.process(audio[offset:offset + step]).tobytes())
    out += await channel.push(resampler.process(np.zeros(0, np.int16), last=True).tobytes())
    out += await channel.flush()
    await channel.recognizer.close()
    return [u for u in out if u.final]


async def transcribe_recording(recording: Recording, speech: SpeechService, calls: CallService, *,
                               call_id: str, roles: Sequence[Speaker] | None = ("agent", "customer"),
                               agent_id: str = "transcribe") -> Transcription:
    """``roles`` None: mono diarization (a stereo file is mixed down first)."""
    found: list[tuple[Speaker, Utterance]] = []
    mono_path = roles is None or recording.channels == 1
    if mono_path:
        mono = recording.samples.astype(np.int32).sum(axis=1).clip(-32768, 32767).astype(np.int16)
        utterances = await transcribe_channel(speech, mono, recording.sample_rate, "agent")
        if roles is not None and recording.channels == 1 and len(roles) == 1:
            found = [(roles[0], u) for u in utterances]
        else:
            spans16 = [(u.start, u.end) for u in utterances]
            labels = cluster_speakers(_at_16k(mono, recording.sample_rate), RATE, spans16)
            named = assign_roles(labels, [u.text for u in utterances])
            found = list(zip(named, utterances, strict=True))
        channel_roles: list[Speaker] = ["agent"] * recording.channels
    else:
        assert roles is not None
        channel_roles = list(roles[: recording.channels])
        for index, role in enumerate(channel_roles):
            found += [(role, u) for u in await transcribe_channel(speech, recording.channel(index),
                                                           recording.sample_rate, role)]
    found.sort(key=lambda item: item[1].start)
    await calls.start_call(NewCall(call_id=call_id, agent_id=agent_id, acd_metadata={"source": "transcribe"}),
                           trace_id=None)
    for role, u in found:
        await calls.add_segment(call_id, NewSegment(speaker=role, text=u.text, start_time=u.start,
                                                    end_time=u.end, confidence=u.confidence,
                                                    segment_id=u.segment_id), trace_id=None)
    state = await calls.get_call(call_id)
    stored = {s.segment_id: s.text for s in state.segments}
    await calls.end_call(call_id, "completed", trace_id=None)
    segments, spans = [], []
    for role, u in found:
        text = stored.get(u.segment_id, u.text)
        spans += pii_spans(role, u.words, text) if u.words else []
        words = [{"word": w.text, "start": w.start, "end": w.end, **({"confidence": w.confidence}
                                                                       if w.confidence is not None else {})}
                 for w in redacted_words(u.words, text)]
        segments.append(TranscriptSegment(speaker=role, text=text, start=u.start, end=max(u.end, u.start),
                                          confidence=u.confidence, words=words))
    transcript = Transcript(call_id=call_id, metadata={"source": "callpilot transcribe",
                                                       "engine": speech.recognizer.name,
                                                       "duration": round(recording.duration, 3)},
                            segments=segments)
    return Transcription(transcript=transcript, spans=spans, channel_roles=channel_roles, mono=mono_path)


def _at_16k(audio: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
    return Resampler(rate, RATE, highpass=False).process(audio, last=True) if rate != RATE else audio
