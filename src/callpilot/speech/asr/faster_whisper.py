"""faster-whisper (CTranslate2 Whisper) for users who have a model on disk: ``pip install 'callpilot[whisper]'``.

Whisper decodes whole utterances, so ``accept`` buffers and gives no partials; ``end`` transcribes the
utterance with word timestamps in a thread (CTranslate2 releases the GIL). Nothing is downloaded: the model
must be a local directory (a converted model, e.g. ``Systran/faster-whisper-small.en`` saved beforehand).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np

from callpilot.core.errors import ConfigError
from callpilot.speech.asr.base import Hypothesis, RecognizerStream, SpeechRecognizer, Word

__all__ = ["FasterWhisperASR"]


class FasterWhisperASR(SpeechRecognizer):
    name = "faster-whisper"

    def __init__(self, *, model_path: str | None = None, compute_type: str = "int8", language: str = "en",
                 beam_size: int = 1, cpu_threads: int = 2) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ConfigError("the faster-whisper engine needs its extra: pip install 'callpilot[whisper]'"
                              ) from exc
        if not model_path or not Path(model_path).is_dir():
            raise ConfigError("the faster-whisper engine needs speech.engine_options.model_path: a local "
                              f"CTranslate2 model directory (got {model_path!r}); nothing is downloaded")
        self._model = WhisperModel(model_path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads,
                                   local_files_only=True)
        self.language, self.beam_size = language, beam_size

    def open(self) -> RecognizerStream:
        return _WhisperStream(self)

    def transcribe(self, audio: np.ndarray[Any, Any]) -> Hypothesis:
        segments, _ = self._model.transcribe(audio, language=self.language, beam_size=self.beam_size,
                                             word_timestamps=True, vad_filter=False)
        words = [Word(text=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                      confidence=round(w.probability, 3))
                 for segment in segments for w in (segment.words or []) if w.word.strip()]
        logprob = [w.confidence for w in words if w.confidence]
        confidence = round(math.fsum(logprob) / len(logprob), 3) if logprob else None
        return Hypothesis(text=" ".join(w.text for w in words), words=tuple(words), confidence=confidence)


class _WhisperStream(RecognizerStream):
    def __init__(self, engine: FasterWhisperASR) -> None:
        self._engine = engine
        self._chunks: list[bytes] = []

    async def begin(self) -> None:
        self._chunks = []

    async def accept(self, pcm: bytes) -> Hypothesis | None:
        self._chunks.append(pcm)
        return None

    async def end(self) -> Hypothesis:
        audio = np.frombuffer(b"".join(self._chunks), dtype=np.int16).astype(np.float32) / 32768.0
        self._chunks = []
        if not len(audio):
            return Hypothesis(text="")
        return await asyncio.to_thread(self._engine.transcribe, audio)
