"""The flite call generator: the scripts, the stereo layout, the phone line, and one turn through pocketsphinx."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callpilot.analyzers.pii.numbers import luhn_valid
from callpilot.bench.speech_corpus import (
    SCRIPTS,
    DialogueScript,
    FliteError,
    RefTurn,
    SynthCall,
    _layout,
    flite_available,
    shortest_script,
    synthesize_call,
    voices,
)
from callpilot.replay.transcript import Transcript
from callpilot.speech.codecs import ulaw_decode, ulaw_encode

needs_flite = pytest.mark.skipif(not flite_available(), reason="flite not installed (apt install flite)")
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGITS = {w: str(i) for i, w in enumerate(WORDS)}


def _numbers(text: str) -> list[str]:
    """Runs of spoken digits, as digit strings."""
    runs = re.findall(rf"\b(?:(?:{'|'.join(WORDS)})\b ?)+", text)
    return ["".join(DIGITS[w] for w in run.split()) for run in runs]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_script_shape(script: DialogueScript) -> None:
    assert 6 <= len(script.turns) <= 10
    assert [t.role for t in script.turns] == ["agent", "customer"] * (len(script.turns) // 2)
    assert script.turns[0].text.startswith("thank you for calling")
    for turn in script.turns:
        assert 4 <= len(turn.text.split()) <= 18, turn.text
        assert turn.text == turn.text.lower() and not re.search(r"[^a-z ]", turn.text), turn.text


def test_scripts_read_out_card_and_phone_numbers() -> None:
    def numbers(script: DialogueScript, length: int) -> list[str]:
        return [n for t in script.turns if t.role == "customer" for n in _numbers(t.text) if len(n) == length]

    with_both = [s.name for s in SCRIPTS if numbers(s, 16) and numbers(s, 10)]
    assert len(with_both) >= 2, with_both
    assert all(luhn_valid(n) for s in SCRIPTS for n in numbers(s, 16))
    assert numbers(shortest_script(), 16), "the fixture script must read out a card number"


def test_every_word_is_in_pocketsphinx_dictionary() -> None:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    with open(Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict", encoding="utf-8") as f:
        known = {line.split(maxsplit=1)[0] for line in f}
    unknown = {w for s in SCRIPTS for t in s.turns for w in t.text.split()} - known
    assert not unknown


def test_overlaps_are_rare_and_never_reorder_turns() -> None:
    lengths = [16000 * 3] * 400
    starts = _layout(lengths, np.random.default_rng(1), (0.4, 0.9))
    overlaps = sum(1 for a, b in zip(starts, starts[1:], strict=False) if b < a + 16000 * 3)
    assert 0.08 < overlaps / 399 < 0.22
    assert starts == sorted(starts)
    gaps = np.diff(starts) / 16000 - 3
    assert ((gaps >= 0.4) & (gaps <= 0.9) | (gaps >= -0.4) & (gaps <= -0.2)).all()


def test_mulaw_matches_g711() -> None:
    pcm = np.array([0, -1, 1, 32767, -32768, 1000, -1000], dtype=np.int16)
    # -1 -> 0x7F as in the ITU reference (G.191 ulaw_compress: ones' complement); Sun g711.c gives 0x7E
    assert list(ulaw_encode(pcm)) == [0xFF, 0x7F, 0xFF, 0x80, 0x00, 0xCE, 0x4E]
    assert ulaw_decode(bytes([0xFF, 0x80, 0x00, 0xCE])).tolist() == [0, 32124, -32124, 988]
    ramp = np.arange(-32768, 32768, 7, dtype=np.int16)
    back, wide = ulaw_decode(ulaw_encode(ramp)).astype(np.int32), ramp.astype(np.int32)
    assert (np.abs(back - wide) <= np.abs(wide) // 16 + 8).all()  # half a step (1/32 to 1/16 of the value), or the clip
    assert (ulaw_decode(ulaw_encode(back.astype(np.int16))) == back).all()  # decoded values are fixed points


@pytest.fixture(scope="module")
def call() -> SynthCall:
    return synthesize_call(shortest_script(), seed=3)


def _alone(call: SynthCall) -> list[RefTurn]:
    """The turns that overlap no other."""
    return [t for t in call.turns if not any(o is not t and o.start < t.end and t.start < o.end for o in call.turns)]


@needs_flite
def test_voices_include_the_defaults() -> None:
    assert {"rms", "slt"} <= set(voices())


@needs_flite
def test_unknown_voice_is_refused() -> None:
    with pytest.raises(FliteError, match="agent_voice: flite has no voice 'nosuch'"):
        synthesize_call(shortest_script(), agent_voice="nosuch")


@needs_flite
def test_stereo_layout(call: SynthCall) -> None:
    assert call.stereo.dtype == np.int16 and call.stereo.ndim == 2 and call.stereo.shape[1] == 2
    assert call.sample_rate == 16000
    assert call.duration < 25
    assert [t.role for t in call.turns] == [t.role for t in shortest_script().turns]
    assert all(a.start < b.start for a, b in zip(call.turns, call.turns[1:], strict=False))
    assert all(0 < t.start < t.end <= call.duration for t in call.turns)


@needs_flite
def test_each_turn_is_in_its_own_channel(call: SynthCall) -> None:
    alone = _alone(call)
    assert len(alone) >= 2
    for turn in alone:
        own, other = (0, 1) if turn.role == "agent" else (1, 0)
        span = call.stereo[int(turn.start * 16000): int(turn.end * 16000)].astype(np.float64)
        assert np.sqrt((span[:, own] ** 2).mean()) > 300
        assert np.sqrt((span[:, other] ** 2).mean()) < 1
        # The bounds are the voiced audio: the first and last 10 ms are not silent.
        assert np.abs(span[:160, own]).max() > 100 and np.abs(span[-160:, own]).max() > 100


@needs_flite
def test_mono_sums_channels(call: SynthCall) -> None:
    mono = call.mono()
    assert mono.dtype == np.int16 and mono.shape == (len(call.stereo),)
    turn = call.turns[0]
    i = int((turn.start + turn.end) / 2 * 16000)
    assert int(mono[i]) == int(call.stereo[i, 0]) + int(call.stereo[i, 1])


@needs_flite
def test_telephone_is_8khz_mulaw(call: SynthCall) -> None:
    audio, rate = call.telephone()
    assert rate == 8000 and audio.dtype == np.int16 and audio.shape[1] == 2
    assert abs(len(audio) - len(call.stereo) / 2) <= 1
    assert (ulaw_decode(ulaw_encode(audio)).reshape(audio.shape) == audio).all()
    agent = next(t for t in _alone(call) if t.role == "agent")
    span = audio[int(agent.start * 8000): int(agent.end * 8000)].astype(np.float64)
    assert np.abs(span[:, 0]).mean() > 20 * max(np.abs(span[:, 1]).mean(), 1)


@needs_flite
def test_write_wav_and_reference(call: SynthCall, tmp_path: Path) -> None:
    call.write_wav(tmp_path / "pcm.wav")
    call.write_wav(tmp_path / "phone.wav", telephone=True)
    call.write_wav(tmp_path / "mono.wav", mono=True)
    pcm, phone, mono = (sf.info(str(tmp_path / n)) for n in ("pcm.wav", "phone.wav", "mono.wav"))
    assert (pcm.samplerate, pcm.channels, pcm.subtype) == (16000, 2, "PCM_16")
    assert (phone.samplerate, phone.channels, phone.subtype) == (8000, 2, "ULAW")
    assert mono.channels == 1
    back, _ = sf.read(str(tmp_path / "pcm.wav"), dtype="int16")
    assert (back == call.stereo).all()
    reference = Transcript.model_validate(call.transcript())
    assert reference.call_id == call.name
    assert [s.text for s in reference.segments] == [t.text for t in call.turns]


@needs_flite
def test_seed_drives_the_layout(call: SynthCall) -> None:
    again = synthesize_call(shortest_script(), seed=3)
    other = synthesize_call(shortest_script(), seed=4)
    assert again.turns == call.turns and (again.stereo == call.stereo).all()
    assert other.turns != call.turns


@needs_flite
def test_pocketsphinx_recognises_an_agent_turn(call: SynthCall) -> None:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    jiwer = pytest.importorskip("jiwer")
    turn = call.turns[2]  # "i am sorry to hear that can i have the card number please"
    assert turn.role == "agent" and turn in _alone(call)
    audio = call.stereo[int(turn.start * 16000) - 1600: int(turn.end * 16000) + 1600, 0]  # 0.1 s of margin
    decoder = pocketsphinx.Decoder(samprate=16000, loglevel="FATAL", fwdflat=False, bestpath=False)
    decoder.start_utt()
    decoder.process_raw(np.ascontiguousarray(audio).tobytes(), False, False)
    decoder.end_utt()
    hyp = decoder.hyp()
    assert hyp is not None
    assert jiwer.wer(turn.text, hyp.hypstr) < 0.3, hyp.hypstr
