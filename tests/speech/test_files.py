"""Reading recorded calls (WAV PCM/μ-law/A-law, FLAC, MP3), and the errors a bad file gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from callpilot.core.errors import InvalidInput
from callpilot.speech.files import read_recording

RATE = 8000
SECONDS = 1.0


def _stereo(rate: int = RATE, seconds: float = SECONDS, channels: int = 2) -> npt.NDArray[np.int16]:
    t = np.arange(int(rate * seconds)) / rate
    tones = [np.sin(2 * np.pi * f * t) * 8000 for f in (300, 700, 1100)[:channels]]
    return np.stack(tones, axis=1).astype(np.int16)


def _write(path: Path, data: npt.NDArray[np.int16], rate: int, fmt: str, subtype: str | None) -> Path:
    sf.write(str(path), data, rate, format=fmt, subtype=subtype)
    return path


@pytest.mark.parametrize(("name", "fmt", "subtype", "rate", "exact", "tolerance"), [
    pytest.param("call.wav", "WAV", "PCM_16", 8000, True, 0, id="wav-pcm16"),
    pytest.param("call16k.wav", "WAV", "PCM_16", 16000, True, 0, id="wav-pcm16-16k"),
    pytest.param("call24.wav", "WAV", "PCM_24", 8000, True, 0, id="wav-pcm24"),
    pytest.param("call.flac", "FLAC", "PCM_16", 8000, True, 0, id="flac"),
    pytest.param("ulaw.wav", "WAV", "ULAW", 8000, False, 300, id="wav-ulaw"),
    pytest.param("alaw.wav", "WAV", "ALAW", 8000, False, 300, id="wav-alaw"),
    pytest.param("call.mp3", "MP3", "MPEG_LAYER_III", 16000, False, None, id="mp3"),
])
def test_read_stereo(tmp_path: Path, name: str, fmt: str, subtype: str, rate: int, exact: bool,
                     tolerance: int | None) -> None:
    data = _stereo(rate)
    path = _write(tmp_path / name, data, rate, fmt, subtype)
    rec = read_recording(path)
    assert rec.sample_rate == rate and rec.channels == 2
    assert rec.samples.dtype == np.int16 and rec.samples.ndim == 2
    assert rec.format == fmt and rec.subtype == subtype
    if exact:
        np.testing.assert_array_equal(rec.samples, data)
        assert rec.duration == pytest.approx(SECONDS)
    elif tolerance is not None:  # G.711: within a quantizer step
        assert rec.samples.shape == data.shape
        assert np.abs(rec.samples.astype(np.int32) - data).max() <= tolerance
    else:  # MP3: lossy and padded by the codec; the length and the loudness of each channel survive
        assert rec.duration == pytest.approx(SECONDS, abs=0.1)
        for i in range(2):
            rms = np.sqrt(np.mean(rec.channel(i).astype(np.float64) ** 2))
            assert rms == pytest.approx(8000 / np.sqrt(2), rel=0.2)
    left = rec.channel(0)
    assert left.flags.c_contiguous and left.shape == (rec.samples.shape[0],)


def test_read_mono(tmp_path: Path) -> None:
    data = _stereo(channels=1)[:, 0]
    rec = read_recording(_write(tmp_path / "mono.wav", data, RATE, "WAV", "PCM_16"))
    assert rec.channels == 1 and rec.samples.shape == (len(data), 1)
    np.testing.assert_array_equal(rec.channel(0), data)


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nowhere.wav"


def _truncated(tmp_path: Path) -> Path:
    path = _write(tmp_path / "truncated.wav", _stereo(), RATE, "WAV", "PCM_16")
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 2])
    return path


def _truncated_ulaw(tmp_path: Path) -> Path:
    path = _write(tmp_path / "truncated_ulaw.wav", _stereo(), RATE, "WAV", "ULAW")
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 2])
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.wav"
    path.write_text("this is a meeting note, not audio\n" * 20)
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    return path


def _three_channels(tmp_path: Path) -> Path:
    return _write(tmp_path / "three.wav", _stereo(channels=3), RATE, "WAV", "PCM_16")


def _four_khz(tmp_path: Path) -> Path:
    return _write(tmp_path / "slow.wav", _stereo(rate=4000), 4000, "WAV", "PCM_16")


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.wav"
    path.mkdir()
    return path


@pytest.mark.parametrize(("make", "match"), [
    pytest.param(_missing, "no such file", id="missing"),
    pytest.param(_directory, "no such file", id="directory"),
    pytest.param(_truncated, "truncated", id="truncated-wav"),
    pytest.param(_truncated_ulaw, "truncated", id="truncated-ulaw-wav"),
    pytest.param(_text, "not a readable", id="text-renamed-wav"),
    pytest.param(_empty, "not a readable", id="empty-file"),
    pytest.param(_three_channels, "3 channels", id="three-channels"),
    pytest.param(_four_khz, "4000 Hz", id="4khz"),
])
def test_bad_files(tmp_path: Path, make: Callable[[Path], Path], match: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InvalidInput, match=match) as caught:
        read_recording(path)
    assert str(path) in str(caught.value)  # the message names the file


def test_accepts_a_string_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "call.wav", _stereo(), RATE, "WAV", "PCM_16")
    assert read_recording(str(path)).channels == 2
