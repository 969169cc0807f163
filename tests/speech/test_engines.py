"""The recognizer engines: the default works offline, in-process and in worker processes alike; engines that
need a model or an extra fail at start-up, naming what is missing."""

from __future__ import annotations

import numpy as np
import pytest

from callpilot.core.errors import ConfigError
from callpilot.core.settings import SpeechSettings
from callpilot.speech.asr.factory import make_recognizer
from callpilot.speech.asr.pocketsphinx import PocketsphinxASR
from callpilot.speech.channel import ChannelTranscriber
from callpilot.speech.files import read_recording
from callpilot.speech.service import SpeechService
from callpilot.speech.vad import WebrtcVad, make_vad
from tests.speech.conftest import FIXTURES


async def _agent_text(asr: PocketsphinxASR) -> list[str]:
    audio = read_recording(FIXTURES / "call_stereo.flac").channel(0)[: 16000 * 12]
    channel = ChannelTranscriber(asr.open(), WebrtcVad())
    finals = []
    for offset in range(0, len(audio), 3200):
        finals += [u for u in await channel.push(audio[offset:offset + 3200].tobytes()) if u.final]
    finals += [u for u in await channel.flush() if u.final]
    await channel.recognizer.close()
    return [u.text for u in finals]


async def test_worker_processes_decode_as_the_caller_s_thread_does() -> None:
    inline = await _agent_text(PocketsphinxASR(workers=0))
    pooled_engine = PocketsphinxASR(workers=1)
    try:
        await pooled_engine.warm_up()
        pooled = await _agent_text(pooled_engine)
    finally:
        await pooled_engine.close()
    assert len(inline) == 2 and pooled == inline
    assert "help you today" in inline[0]


async def test_silence_and_noise_give_no_segments() -> None:
    channel = ChannelTranscriber(PocketsphinxASR().open(), WebrtcVad())
    rng = np.random.default_rng(0)
    audio = np.concatenate([np.zeros(16000 * 2, np.int16), (rng.normal(0, 30, 16000 * 2)).astype(np.int16)])
    assert await channel.push(audio.tobytes()) == []
    assert await channel.flush() == []


@pytest.mark.parametrize(("engine", "options", "message"), [
    ("nope", {}, "unknown speech engine 'nope'"),
    ("faster-whisper", {"model_path": "/nowhere"}, "faster-whisper"),
    ("vosk", {"model_path": "/nowhere"}, "vosk"),
    ("deepgram", {}, "api_key"),
    ("pocketsphinx", {"options": {"hmm": "/nowhere"}}, "does not exist"),
    ("pocketsphinx", {"colour": "blue"}, "bad engine_options"),
], ids=["unknown", "whisper-without-extra-or-model", "vosk-without-extra-or-model", "deepgram-without-key",
        "pocketsphinx-bad-model", "bad-option"])
def test_a_misconfigured_engine_fails_at_start_up(engine: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_recognizer(engine, options)


@pytest.mark.parametrize(("vad", "options", "message"), [
    ("webrtc", {"aggressiveness": 7}, "0-3"),
    ("nope", {}, "unknown VAD"),
])
def test_a_misconfigured_vad_fails_at_start_up(vad: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_vad(vad, options)


def test_the_speech_service_checks_its_settings() -> None:
    with pytest.raises(ConfigError, match="0-3"):
        SpeechService(SpeechSettings(workers=0, vad_options={"aggressiveness": 9}), calls=None, recordings=None)
