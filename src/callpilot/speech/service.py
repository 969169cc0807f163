"""The speech side of a running server: one recognizer engine, a VAD per channel, the recording store.

``SpeechService.open_call`` gives an ``AudioCall`` for each live stream or recording; the ingress
translators (callpilot.ingress) feed it.
"""

from __future__ import annotations

from pathlib import Path

from callpilot.core.errors import ConfigError
from callpilot.core.settings import SpeechSettings
from callpilot.domain.events import Speaker
from callpilot.service.calls import CallService
from callpilot.speech.adaptation.build import adaptation_options
from callpilot.speech.asr.base import SpeechRecognizer
from callpilot.speech.asr.factory import make_recognizer
from callpilot.speech.audio_call import AudioCall
from callpilot.speech.channel import ChannelTranscriber
from callpilot.speech.endpointing import EndpointSettings
from callpilot.speech.recording.store import FileRecordingStore, RecordingStore, S3RecordingStore
from callpilot.speech.vad import make_vad

__all__ = ["SpeechService", "make_recording_store"]


def make_recording_store(settings: SpeechSettings, cache_dir: Path) -> RecordingStore | None:
    rec = settings.recording
    if not rec.enabled:
        return None
    if rec.store == "s3":
        if not rec.s3_bucket:
            raise ConfigError("speech.recording.store is s3 but speech.recording.s3_bucket is not set")
        return S3RecordingStore(bucket=rec.s3_bucket, prefix=rec.s3_prefix, endpoint_url=rec.s3_endpoint_url)
    return FileRecordingStore(rec.directory or cache_dir / "recordings")


class SpeechService:
    def __init__(self, settings: SpeechSettings, *, calls: CallService | None,
                 recordings: RecordingStore | None, recognizer: SpeechRecognizer | None = None) -> None:
        self.settings = settings
        self.calls = calls
        self.recordings = recordings
        options = dict(settings.engine_options)
        if settings.engine == "pocketsphinx" and recognizer is None:
            options.setdefault("workers", settings.workers)
            options = {**adaptation_options(settings.adaptation), **options}
        self.recognizer = recognizer or make_recognizer(settings.engine, options)
        make_vad(settings.vad, settings.vad_options)  # a bad VAD setting fails at start-up
        self.endpoint = EndpointSettings(end_silence_seconds=settings.end_silence_seconds,
                                         max_utterance_seconds=settings.max_utterance_seconds)

    async def start(self) -> None:
        warm_up = getattr(self.recognizer, "warm_up", None)
        if warm_up is not None:
            await warm_up()

    async def close(self) -> None:
        await self.recognizer.close()

    def channel(self, role: Speaker) -> ChannelTranscriber:
        return ChannelTranscriber(self.recognizer.open(), make_vad(self.settings.vad, self.settings.vad_options),
                                  endpoint=self.endpoint, partial_seconds=self.settings.partial_seconds, name=role)

    def open_call(self, call_id: str, roles: list[Speaker], *, source_rate: int, trace_id: str | None = None,
                  record: bool = True) -> AudioCall:
        if self.calls is None:
            raise ConfigError("this speech service has no call service to write segments to")
        return AudioCall(self.calls, call_id, {role: self.channel(role) for role in roles},
                         source_rate=source_rate, recordings=self.recordings if record else None,
                         redaction=self.settings.recording.redaction, trace_id=trace_id)
