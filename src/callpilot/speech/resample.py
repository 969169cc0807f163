"""Sample-rate conversion to the rate a recognizer wants (16 kHz for pocketsphinx's English model).

8 kHz telephone audio is converted deliberately: upsampled with soxr's band-limited filter (no aliasing, no
imaging above 4 kHz), then high-passed at ~100 Hz to drop the line's hum and DC, which the 16 kHz model's
mel filters would otherwise read as low-frequency energy. Native 8 kHz decoding does not work with that model
(its feature parameters assume a 6.8 kHz upper band); docs/speech.md has the measurements.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr
from scipy.signal import butter, sosfilt, sosfilt_zi

__all__ = ["Resampler", "to_float", "to_int16"]


def to_float(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def to_int16(x: npt.NDArray[np.floating]) -> npt.NDArray[np.int16]:
    out: npt.NDArray[np.int16] = np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)
    return out


class Resampler:
    """A streaming converter for one channel: feed chunks at ``source_rate``, get int16 at ``target_rate``."""

    HIGHPASS_HZ = 100.0

    def __init__(self, source_rate: int, target_rate: int = 16000, *, highpass: bool | None = None) -> None:
        if source_rate <= 0 or target_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {source_rate} -> {target_rate}")
        self.source_rate = source_rate
        self.target_rate = target_rate
        self._stream = (soxr.ResampleStream(source_rate, target_rate, 1, dtype="float32", quality="HQ")
                        if source_rate != target_rate else None)
        telephone = source_rate <= 8000 if highpass is None else highpass
        self._sos = butter(2, self.HIGHPASS_HZ, btype="highpass", fs=target_rate, output="sos") if telephone else None
        self._zi = sosfilt_zi(self._sos) * 0.0 if self._sos is not None else None

    def process(self, pcm: npt.NDArray[np.int16], *, last: bool = False) -> npt.NDArray[np.int16]:
        if self._stream is None and self._sos is None:
            return pcm
        x = to_float(pcm)
        if self._stream is not None:
            x = self._stream.resample_chunk(x, last=last)
        if self._sos is not None and len(x):
            x, self._zi = sosfilt(self._sos, x, zi=self._zi)
        return to_int16(np.asarray(x))
