"""Voice activity detection, frame by frame, behind one small interface.

- ``WebrtcVad``: Google's WebRTC detector (webrtcvad-wheels), ~0.1 ms per second of audio; the default.
- ``SileroVad``: silero-vad's ONNX model run with onnxruntime alone (``pip install 'callpilot[silero]'`` brings
  the file; its Python package imports torch, so only the file is located, never imported).
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from callpilot.core.errors import ConfigError

__all__ = ["VAD_ENGINES", "SileroVad", "VoiceDetector", "WebrtcVad", "make_vad"]


class VoiceDetector(ABC):
    """Says whether one frame of 16 kHz PCM16 holds speech. One instance per channel (detectors keep state)."""

    sample_rate: ClassVar[int] = 16000
    frame_samples: ClassVar[int]

    @property
    def frame_bytes(self) -> int:
        return self.frame_samples * 2

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / self.sample_rate

    @abstractmethod
    def is_speech(self, frame: bytes) -> bool: ...


class WebrtcVad(VoiceDetector):
    frame_samples = 320  # 20 ms

    def __init__(self, *, aggressiveness: int = 2) -> None:
        import webrtcvad

        if aggressiveness not in (0, 1, 2, 3):
            raise ConfigError(f"webrtcvad aggressiveness must be 0-3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: bytes) -> bool:
        return bool(self._vad.is_speech(frame, self.sample_rate))


class SileroVad(VoiceDetector):
    frame_samples = 512  # 32 ms, the model's window at 16 kHz
    CONTEXT = 64

    def __init__(self, *, threshold: float = 0.5, model_path: str | None = None) -> None:
        import onnxruntime

        path = Path(model_path) if model_path else _silero_model()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.threshold = threshold
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, self.CONTEXT), dtype=np.float32)
        self._sr = np.array(self.sample_rate, dtype=np.int64)

    def is_speech(self, frame: bytes) -> bool:
        x = (np.frombuffer(frame, dtype=np.int16).astype(np.float32) / 32768.0)[None, :]
        window = np.concatenate([self._context, x], axis=1)
        out, self._state = self._session.run(None, {"input": window, "state": self._state, "sr": self._sr})
        self._context = x[:, -self.CONTEXT:]
        return float(out[0][0]) >= self.threshold


def _silero_model() -> Path:
    spec = importlib.util.find_spec("silero_vad")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / "silero_vad.onnx"
        if candidate.is_file():
            return candidate
    raise ConfigError("the silero VAD needs its model file: pip install 'callpilot[silero]' "
                             "(or set speech.vad_options.model_path to a silero_vad.onnx)")


VAD_ENGINES: dict[str, type[VoiceDetector]] = {"webrtc": WebrtcVad, "silero": SileroVad}


def make_vad(name: str, options: dict[str, Any] | None = None) -> VoiceDetector:
    try:
        cls = VAD_ENGINES[name]
    except KeyError:
        raise ConfigError(f"unknown VAD {name!r}; choose one of {sorted(VAD_ENGINES)}") from None
    return cls(**(options or {}))
