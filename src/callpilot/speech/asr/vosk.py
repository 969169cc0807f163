"""Vosk (Kaldi) for users who have a model on disk: ``pip install 'callpilot[vosk]'``; streaming partials."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from callpilot.core.errors import ConfigError
from callpilot.speech.asr.base import Hypothesis, RecognizerStream, SpeechRecognizer, Word

__all__ = ["VoskASR"]


class VoskASR(SpeechRecognizer):
    name = "vosk"

    def __init__(self, *, model_path: str | None = None) -> None:
        try:
            import vosk
        except ImportError as exc:
            raise ConfigError("the Vosk engine needs its extra: pip install 'callpilot[vosk]'") from exc
        if not model_path or not Path(model_path).is_dir():
            raise ConfigError("the Vosk engine needs speech.engine_options.model_path: a local model directory "
                              f"(got {model_path!r}); nothing is downloaded")
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        self._model = vosk.Model(model_path)

    def open(self) -> RecognizerStream:
        return _VoskStream(self._vosk, self._model)


class _VoskStream(RecognizerStream):
    def __init__(self, vosk: Any, model: Any) -> None:
        self._vosk, self._model = vosk, model
        self._recognizer: Any = None

    async def begin(self) -> None:
        self._recognizer = self._vosk.KaldiRecognizer(self._model, 16000)
        self._recognizer.SetWords(True)

    async def accept(self, pcm: bytes) -> Hypothesis | None:
        await asyncio.to_thread(self._recognizer.AcceptWaveform, pcm)
        partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return Hypothesis(text=partial) if partial else None

    async def end(self) -> Hypothesis:
        result = json.loads(await asyncio.to_thread(self._recognizer.FinalResult))
        words = tuple(Word(text=w["word"], start=round(w["start"], 3), end=round(w["end"], 3),
                           confidence=round(w.get("conf", 0.0), 3)) for w in result.get("result", []))
        scores = [w.confidence for w in words if w.confidence is not None]
        return Hypothesis(text=result.get("text", ""), words=words,
                          confidence=round(sum(scores) / len(scores), 3) if scores else None)
