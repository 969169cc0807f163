"""Engine name -> class, checked at start-up (an unknown name or a missing model fails loudly there)."""

from __future__ import annotations

from typing import Any

from callpilot.core.errors import ConfigError
from callpilot.speech.asr.base import SpeechRecognizer

__all__ = ["ENGINES", "make_recognizer"]


def _pocketsphinx(**options: Any) -> SpeechRecognizer:
    from callpilot.speech.asr.pocketsphinx import PocketsphinxASR

    return PocketsphinxASR(**options)


def _faster_whisper(**options: Any) -> SpeechRecognizer:
    from callpilot.speech.asr.faster_whisper import FasterWhisperASR

    return FasterWhisperASR(**options)


def _vosk(**options: Any) -> SpeechRecognizer:
    from callpilot.speech.asr.vosk import VoskASR

    return VoskASR(**options)


def _deepgram(**options: Any) -> SpeechRecognizer:
    from callpilot.speech.asr.deepgram import DeepgramASR

    return DeepgramASR(**options)


ENGINES = {"pocketsphinx": _pocketsphinx, "faster-whisper": _faster_whisper, "vosk": _vosk, "deepgram": _deepgram}


def make_recognizer(name: str, options: dict[str, Any] | None = None) -> SpeechRecognizer:
    try:
        build = ENGINES[name]
    except KeyError:
        raise ConfigError(f"unknown speech engine {name!r}; choose one of {sorted(ENGINES)}") from None
    try:
        return build(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"speech engine {name!r}: bad engine_options: {exc}") from exc
