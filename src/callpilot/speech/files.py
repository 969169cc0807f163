"""Reading recorded calls: WAV (PCM, μ-law, A-law), FLAC and MP3, mono or stereo, through libsndfile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from callpilot.core.errors import InvalidInput

__all__ = ["Recording", "read_recording"]

_MIN_RATE = 8000
_BYTES_PER_SAMPLE = {"PCM_U8": 1, "PCM_S8": 1, "ULAW": 1, "ALAW": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4,
                     "FLOAT": 4, "DOUBLE": 8}


@dataclass(frozen=True)
class Recording:
    """A whole recording: ``samples`` is int16 of shape (frames, channels)."""

    samples: npt.NDArray[np.int16]
    sample_rate: int
    format: str
    subtype: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return float(self.samples.shape[0] / self.sample_rate)

    def channel(self, index: int) -> npt.NDArray[np.int16]:
        return np.ascontiguousarray(self.samples[:, index])


def read_recording(path: str | Path) -> Recording:
    """Decode a file; errors name the file and what is wrong with it (truncated, not audio, too low a rate)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        info = sf.info(str(path))
        samples, rate = sf.read(str(path), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise InvalidInput(f"{path}: not a readable WAV, FLAC or MP3 file ({exc})") from exc
    if rate < _MIN_RATE:
        raise InvalidInput(f"{path}: sample rate {rate} Hz is below {_MIN_RATE} Hz; speech cannot be recognised")
    if samples.shape[1] > 2:
        raise InvalidInput(f"{path}: {samples.shape[1]} channels; a call recording is mono or stereo")
    promised = _wav_data_bytes(path) if info.format in ("WAV", "WAVEX") else None
    block = samples.shape[1] * _BYTES_PER_SAMPLE.get(info.subtype, 2)
    if promised is not None and samples.shape[0] * block < promised - block:
        raise InvalidInput(f"{path}: truncated: the header promises {promised // block} frames, the file holds "
                           f"{samples.shape[0]}")
    return Recording(samples=samples, sample_rate=int(rate), format=info.format, subtype=info.subtype)


def _wav_data_bytes(path: Path) -> int | None:
    """The size the RIFF header gives the data chunk. libsndfile reads a truncated file quietly, trimming the
    count to what is there, so the header is read here (a walk over RIFF chunk headers, no library needed)."""
    with path.open("rb") as f:
        if f.read(4) not in (b"RIFF", b"RF64") or (f.read(4) and f.read(4) != b"WAVE"):
            return None
        while header := f.read(8):
            if len(header) < 8:
                return None
            size = int.from_bytes(header[4:], "little")
            if header[:4] == b"data":
                return size if size != 0xFFFFFFFF else None  # RF64 keeps the real size elsewhere
            f.seek(size + (size & 1), 1)
    return None
