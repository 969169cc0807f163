"""What ``callpilot transcribe`` and ``callpilot replay --audio`` run (kept out of cli.py, which parses)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import soundfile as sf

from callpilot.core.settings import Settings
from callpilot.domain.events import Speaker
from callpilot.ingress.clients import Protocol, stream_recording
from callpilot.speech.files import read_recording
from callpilot.speech.service import SpeechService
from callpilot.speech.transcribe import Transcription, transcribe_recording

__all__ = ["replay_audio", "transcribe_file"]


async def transcribe_file(settings: Settings, path: Path, *, roles: list[Speaker] | None,
                          redacted_audio: Path | None = None) -> Transcription:
    """Transcribe ``path`` with the settings' engine, redacting through a throw-away embedded pipeline (the
    PII analyzer only; nothing is kept once the transcript is written)."""
    from callpilot.runtime import open_runtime

    recording = read_recording(path)
    with tempfile.TemporaryDirectory(prefix="callpilot-transcribe-") as scratch:
        embedded = settings.model_copy(update={
            "database_url": f"sqlite:///{scratch}/transcribe.db",
            "pipeline": settings.pipeline.model_copy(update={"inline": ["pii"], "background": []}),
            "delivery": settings.delivery.model_copy(update={"enabled": False}),
        })
        runtime = await open_runtime(embedded)
        speech = SpeechService(settings.speech.model_copy(update={"workers": 0}), calls=runtime.calls,
                               recordings=None)
        try:
            result = await transcribe_recording(recording, speech, runtime.calls, roles=roles,
                                                call_id=f"file_{uuid.uuid4().hex[:12]}")
        finally:
            await speech.close()
            await runtime.close()
    if redacted_audio is not None:
        sf.write(str(redacted_audio), result.redacted_audio(recording, mode=settings.speech.recording.redaction),
                 recording.sample_rate, subtype="PCM_16")
    return result


async def replay_audio(path: Path, *, url: str, protocol: Protocol, speed: float, api_key: str | None,
                       roles: list[Speaker]) -> str:
    """Stream a recording to a server over ``protocol`` at ``speed`` times real time; returns the call id."""
    base = url.rstrip("/").replace("https://", "wss://").replace("http://", "ws://")
    report = await stream_recording(f"{base}/v1/audio/{protocol}", read_recording(path), protocol=protocol,
                                    speed=speed, api_key=api_key, roles=roles)
    return report.call_id
