"""G.711 μ-law and A-law: round trip within the quantizer's step, and byte-for-byte agreement with libsndfile."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from callpilot.speech.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

Encode = Callable[[npt.NDArray[np.int16]], bytes]
Decode = Callable[[bytes], npt.NDArray[np.int16]]

FULL = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
RAMP = np.linspace(-32768, 32767, 20_001).round().astype(np.int16)


def _ulaw_half_step(x: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Half the μ-law step at |x| (16-bit scale), plus what the 32635 clip loses, plus 1 for the ones'
    complement the encoder takes of negative samples."""
    biased = np.minimum(np.abs(x), 32635) + 0x84
    segment = np.floor(np.log2(biased)).astype(np.int32) - 7
    return (1 << (segment + 2)) + np.maximum(np.abs(x) - 32635, 0) + 1


def _alaw_half_step(x: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    magnitude = np.minimum(np.abs(x), 32767) >> 3  # 13-bit
    segment = np.clip(np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4, 0, 7)
    return 1 << (np.maximum(segment, 1) + 2)  # segments 0 and 1 share a 16-wide step


CODECS = [
    pytest.param(ulaw_encode, ulaw_decode, _ulaw_half_step, id="ulaw"),
    pytest.param(alaw_encode, alaw_decode, _alaw_half_step, id="alaw"),
]


@pytest.mark.parametrize(("encode", "decode", "half_step"), CODECS)
@pytest.mark.parametrize("signal", [
    pytest.param(RAMP, id="ramp"),
    pytest.param(FULL, id="every-int16"),
    pytest.param(np.arange(-300, 301, dtype=np.int16), id="small-ramp"),
])
def test_round_trip_within_half_a_step(encode: Encode, decode: Decode,
                                       half_step: Callable[[npt.NDArray[np.int32]], npt.NDArray[np.int32]],
                                       signal: npt.NDArray[np.int16]) -> None:
    coded = encode(signal)
    assert isinstance(coded, bytes) and len(coded) == len(signal)
    back = decode(coded)
    assert back.dtype == np.int16 and back.shape == signal.shape
    x = signal.astype(np.int32)
    error = np.abs(back.astype(np.int32) - x)
    bound = half_step(x)
    worst = int(np.argmax(error - bound))
    assert (error <= bound).all(), f"x={x[worst]}: error {error[worst]} > {bound[worst]}"
    # monotonic: a ramp stays a (non-strict) ramp
    order = np.argsort(signal, kind="stable")
    assert (np.diff(back[order].astype(np.int32)) >= 0).all()


@pytest.mark.parametrize(("encode", "decode"), [
    pytest.param(ulaw_encode, ulaw_decode, id="ulaw"),
    pytest.param(alaw_encode, alaw_decode, id="alaw"),
])
def test_every_code_is_a_fixed_point(encode: Encode, decode: Decode) -> None:
    levels = decode(bytes(range(256)))
    np.testing.assert_array_equal(decode(encode(levels)), levels)


def _wav_bytes(signal: npt.NDArray[np.int16], subtype: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, signal, 8000, format="WAV", subtype=subtype)
    return buf.getvalue()


def _data_chunk(wav: bytes) -> bytes:
    at = wav.index(b"data")
    size = int.from_bytes(wav[at + 4:at + 8], "little")
    return wav[at + 8:at + 8 + size]


def _libsndfile(signal: npt.NDArray[np.int16], subtype: str) -> bytes:
    """What libsndfile writes for ``signal`` in a WAV of that subtype: the data chunk's bytes."""
    data = _data_chunk(_wav_bytes(signal, subtype))
    assert len(data) == len(signal)
    return data


def _mismatches(ours: bytes, theirs: bytes, signal: npt.NDArray[np.int16]) -> str:
    a, b = np.frombuffer(ours, np.uint8), np.frombuffer(theirs, np.uint8)
    bad = np.nonzero(a != b)[0]
    return (f"{len(bad)} differ, e.g. x={signal[bad[:5]].tolist()}: ours {a[bad[:5]].tolist()} "
            f"libsndfile {b[bad[:5]].tolist()}")




@pytest.mark.parametrize(("encode", "subtype", "signal"), [
    pytest.param(ulaw_encode, "ULAW", FULL, id="ulaw-every-int16"),
    pytest.param(ulaw_encode, "ULAW", RAMP, id="ulaw-ramp"),
    pytest.param(ulaw_encode, "ULAW", np.arange(-2000, 2001, dtype=np.int16), id="ulaw-small"),
    pytest.param(ulaw_encode, "ULAW", np.arange(0, 32768, dtype=np.int16), id="ulaw-non-negative"),
    pytest.param(ulaw_encode, "ULAW", np.array([-1, -2, -3, -5, -101, -1001, -32768], dtype=np.int16),
                 id="ulaw-negative-off-the-ties"),
    pytest.param(alaw_encode, "ALAW", FULL, id="alaw-every-int16"),
    pytest.param(alaw_encode, "ALAW", RAMP, id="alaw-ramp"),
])
def test_encode_matches_libsndfile(encode: Encode, subtype: str, signal: npt.NDArray[np.int16]) -> None:
    ours, theirs = encode(signal), _libsndfile(signal, subtype)
    assert ours == theirs, _mismatches(ours, theirs, signal)


@pytest.mark.parametrize(("decode", "subtype"), [
    pytest.param(ulaw_decode, "ULAW", id="ulaw"),
    pytest.param(alaw_decode, "ALAW", id="alaw"),
])
def test_decode_matches_libsndfile(decode: Decode, subtype: str) -> None:
    wav = _wav_bytes(FULL, subtype)
    data = _data_chunk(wav)
    back, rate = sf.read(io.BytesIO(wav), dtype="int16")
    assert rate == 8000
    np.testing.assert_array_equal(decode(data), back)


@pytest.mark.parametrize(("encode", "value", "code"), [
    pytest.param(ulaw_encode, -1, 0x7F, id="ulaw-minus-one"),
    pytest.param(ulaw_encode, 0, 0xFF, id="ulaw-zero"),
    pytest.param(ulaw_encode, 32767, 0x80, id="ulaw-max"),
    pytest.param(ulaw_encode, -32768, 0x00, id="ulaw-min"),
    pytest.param(alaw_encode, 0, 0xD5, id="alaw-zero"),
    pytest.param(alaw_encode, -1, 0x55, id="alaw-minus-one"),
    pytest.param(alaw_encode, 32767, 0xAA, id="alaw-max"),
    pytest.param(alaw_encode, -32768, 0x2A, id="alaw-min"),
])
def test_known_codes(encode: Encode, value: int, code: int) -> None:
    assert encode(np.array([value], dtype=np.int16)) == bytes([code])


@pytest.mark.parametrize(("decode", "code", "value"), [
    pytest.param(ulaw_decode, 0xFF, 0, id="ulaw-ff-zero"),
    pytest.param(ulaw_decode, 0x7F, 0, id="ulaw-7f-zero"),
    pytest.param(ulaw_decode, 0x80, 32124, id="ulaw-max"),
    pytest.param(ulaw_decode, 0x00, -32124, id="ulaw-min"),
    pytest.param(alaw_decode, 0xD5, 8, id="alaw-smallest-positive"),
    pytest.param(alaw_decode, 0xAA, 32256, id="alaw-max"),
])
def test_known_levels(decode: Decode, code: int, value: int) -> None:
    assert decode(bytes([code])).tolist() == [value]


def test_empty() -> None:
    empty = np.zeros(0, dtype=np.int16)
    assert ulaw_encode(empty) == b"" and alaw_encode(empty) == b""
    assert len(ulaw_decode(b"")) == 0 and len(alaw_decode(b"")) == 0
