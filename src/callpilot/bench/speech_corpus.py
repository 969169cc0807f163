"""Synthetic two-party contact-center calls spoken by flite, for the speech benchmark and small test fixtures.

Each :class:`DialogueScript` is a short agent/customer dialogue in plain words pocketsphinx's generic English
model knows (numbers are spelled out digit by digit, as callers say them). :func:`synthesize_call` speaks every
turn with Debian's ``flite`` (one voice per party), resamples to 16 kHz, trims flite's leading and trailing
silence, and lays the turns out on a stereo timeline: agent on channel 0 (left), customer on channel 1 (right),
with seeded gaps and, rarely, a short overlap. The reference turns carry the real speech bounds, so WER, role
accuracy and latency can be scored against them. :meth:`SynthCall.telephone` simulates the phone line
(8 kHz G.711 μ-law).

``python -m callpilot.bench.speech_corpus OUT_DIR [--telephone]`` writes every script as ``NAME.wav`` plus its
reference ``NAME.json`` in the transcript format (:mod:`callpilot.replay.transcript`); ``--fixture`` writes the
shortest script as the fixtures of tests/speech/fixtures instead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from callpilot.core.errors import CallpilotError
from callpilot.speech.codecs import ulaw_decode, ulaw_encode

__all__ = [
    "SCRIPTS",
    "DialogueScript",
    "FliteError",
    "RefTurn",
    "Role",
    "SynthCall",
    "Turn",
    "flite_available",
    "shortest_script",
    "synthesize_call",
    "voices",
]

Role = Literal["agent", "customer"]
SAMPLE_RATE = 16000
PHONE_RATE = 8000
KNOWN_VOICES = ("slt", "rms", "awb", "kal")  # kal is an 8 kHz diphone voice; the others are 16 kHz
OVERLAP_CHANCE = 0.15
OVERLAP_SECONDS = (0.2, 0.4)
LEAD_SECONDS = 0.3  # silence before the first turn and after the last


class FliteError(CallpilotError):
    """flite is not installed, does not offer the voice, or failed to speak a turn."""


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str


@dataclass(frozen=True)
class DialogueScript:
    name: str
    turns: tuple[Turn, ...]


def _script(name: str, *lines: str) -> DialogueScript:
    """Alternating turns, the agent first."""
    roles: tuple[Role, Role] = ("agent", "customer")
    return DialogueScript(name, tuple(Turn(roles[i % 2], text) for i, text in enumerate(lines)))


SCRIPTS: tuple[DialogueScript, ...] = (
    _script(
        "lost_card",
        "thank you for calling acme bank my name is sarah how can i help you today",
        "hi i lost my bank card and i need to block it",
        "i am sorry to hear that can i have the card number please",
        "it is four five three nine five two six zero one eight one five nine zero eight three",
        "thank you the card is blocked and a new card is on the way",
        "great thank you for your help",
    ),
    _script(
        "double_charge",
        "thank you for calling north star energy my name is david how can i help you",
        "hello i was charged twice for my bill this month",
        "i can look into that can i have your account number please",
        "my account number is seven three one nine four four two eight",
        "thank you which card did you use for the payment",
        "it is five four one two eight four nine three four zero seven two two four seven zero",
        "and what is the best phone number to reach you",
        "my phone number is two one two five five five zero one nine eight",
        "i see the second charge and i will send a refund to your card today",
        "thank you that is all i needed",
    ),
    _script(
        "address_change",
        "thank you for calling city water my name is anna how can i help you today",
        "hi i moved to a new house and i need to change my address",
        "of course can i have your account number please",
        "it is six two zero four one one nine five",
        "thank you what is the new address",
        "it is twenty two river road in the north part of the city",
        "and can you confirm your phone number for me",
        "yes my phone number is three one two four four four one two three four",
        "thank you the new address is on your account and your next bill will go there",
        "perfect thank you for your help",
    ),
    _script(
        "internet_outage",
        "thank you for calling blue sky internet my name is mark how can i help you",
        "my internet has been down since last night and nothing works",
        "i am sorry about that can i have your account number please",
        "sure it is eight eight one zero two three four six",
        "thank you i see an outage in your area our team is working on it",
        "how long will it take to fix",
        "it should be back in about four hours and we will send you a text",
        "all right thank you for letting me know",
    ),
    _script(
        "refund",
        "thank you for calling green leaf store my name is lisa how can i help you today",
        "hi i returned a jacket two weeks ago and i still have not got my money back",
        "i can check that for you can i have your order number please",
        "the order number is four four seven one nine zero two",
        "thank you the return arrived but the refund was not sent what card did you pay with",
        "it is four seven one six one two two one three eight seven eight three seven five seven",
        "thank you and what phone number can we text when it is done",
        "my phone number is four one five five five five three two one zero",
        "i have sent the refund and it will be on your card in three to five days",
        "thank you for fixing that",
    ),
    _script(
        "cancel_subscription",
        "thank you for calling star movies my name is james how can i help you",
        "hello i would like to cancel my subscription please",
        "i can help with that can i have the email address on the account",
        "it is john at mail dot com",
        "thank you may i ask why you want to cancel",
        "i do not watch it any more and the price went up",
        "i understand your subscription is cancelled and you will not be charged again",
        "thank you have a good day",
    ),
    _script(
        "password_reset",
        "thank you for calling first city bank my name is sarah how can i help you",
        "hi i forgot my password and now i cannot log in to my account",
        "no problem can i have your phone number please",
        "my phone number is six one seven five five five two four six eight",
        "thank you i have sent a code to that phone can you read it to me",
        "the code is nine two seven four one five",
        "thank you you can now choose a new password on the web site",
        "great it works now thank you",
    ),
    _script(
        "late_delivery",
        "thank you for calling fast box delivery my name is paul how can i help you today",
        "my package was supposed to arrive on monday and it is still not here",
        "i am sorry about the delay can i have your tracking number please",
        "yes it is one two eight eight four zero five three",
        "thank you the package is at our local office and it will come tomorrow",
        "can you make sure someone calls me before it comes",
        "of course the driver will call you in the morning before the delivery",
        "thank you that helps a lot",
    ),
)


def shortest_script() -> DialogueScript:
    """The script with the fewest words: the test fixture."""
    return min(SCRIPTS, key=lambda s: sum(len(t.text.split()) for t in s.turns))


@dataclass(frozen=True)
class RefTurn:
    role: Role
    text: str
    start: float
    end: float


@dataclass
class SynthCall:
    name: str
    stereo: npt.NDArray[np.int16]  # (n, 2): agent left (0), customer right (1)
    turns: list[RefTurn]
    sample_rate: int = SAMPLE_RATE
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.stereo) / self.sample_rate

    def mono(self) -> npt.NDArray[np.int16]:
        return _clip16(self.stereo.astype(np.int32).sum(axis=1))

    def telephone(self) -> tuple[npt.NDArray[np.int16], int]:
        """Both channels through a simulated phone line: 8 kHz, G.711 μ-law there and back."""
        return _phone_line(self.stereo, self.sample_rate), PHONE_RATE

    def write_wav(self, path: str | Path, *, telephone: bool = False, mono: bool = False) -> None:
        """μ-law at 8 kHz with ``telephone``, else 16-bit PCM at 16 kHz. The container follows the file name's
        extension (``.wav``; ``.flac`` works for PCM)."""
        audio = self.mono() if mono else self.stereo
        if telephone:
            sf.write(str(path), _phone_line(audio, self.sample_rate), PHONE_RATE, subtype="ULAW")
        else:
            sf.write(str(path), audio, self.sample_rate, subtype="PCM_16")

    def transcript(self) -> dict[str, Any]:
        """The reference in the transcript file format."""
        segments = [{"speaker": t.role, "text": t.text, "start": round(t.start, 3), "end": round(t.end, 3)}
                    for t in self.turns]
        return {"call_id": self.name, "metadata": self.metadata, "segments": segments}


# --- flite ------------------------------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str], npt.NDArray[np.int16]] = {}


def flite_available() -> bool:
    return shutil.which("flite") is not None


def voices() -> list[str]:
    """The voices of :data:`KNOWN_VOICES` this flite offers (``flite -lv``)."""
    if not flite_available():
        return []
    out = subprocess.run(["flite", "-lv"], capture_output=True, text=True, check=True).stdout
    offered = set(out.split(":", 1)[-1].split())
    return [v for v in KNOWN_VOICES if v in offered]


def _speak(voice: str, text: str) -> npt.NDArray[np.int16]:
    """One utterance, 16 kHz int16 mono, leading and trailing silence trimmed; cached per (voice, text)."""
    key = (voice, text)
    if key not in _CACHE:
        with tempfile.TemporaryDirectory(prefix="callpilot-flite-") as tmp:
            wav = Path(tmp) / "turn.wav"
            try:
                subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(wav)],
                               capture_output=True, text=True, check=True)
            except FileNotFoundError as exc:
                raise FliteError("flite not installed (apt install flite)") from exc
            except subprocess.CalledProcessError as exc:
                raise FliteError(f"flite failed with voice {voice!r}: {exc.stderr.strip()}") from exc
            audio, rate = sf.read(str(wav), dtype="float32")
        if rate != SAMPLE_RATE:
            audio = soxr.resample(audio, rate, SAMPLE_RATE)
        speech = _trim(_clip16(np.round(audio * 32768.0)))
        speech.setflags(write=False)
        _CACHE[key] = speech
    return _CACHE[key]


def _trim(audio: npt.NDArray[np.int16], *, frame: int = 160, floor_db: float = -40.0) -> npt.NDArray[np.int16]:
    """Cut to the first and last 10 ms frame whose RMS is within ``floor_db`` of the loudest frame."""
    frames = len(audio) // frame
    if frames == 0:
        return audio
    power = (audio[: frames * frame].astype(np.float64).reshape(frames, frame) ** 2).mean(axis=1)
    voiced = np.flatnonzero(power > power.max() * 10 ** (floor_db / 10))
    if len(voiced) == 0:
        raise FliteError("flite produced silence")
    return audio[voiced[0] * frame: (voiced[-1] + 1) * frame]


# --- layout -----------------------------------------------------------------------------------------------------

def synthesize_call(script: DialogueScript, *, agent_voice: str = "rms", customer_voice: str = "slt",
                    gap_seconds: tuple[float, float] = (0.4, 0.9), seed: int = 0) -> SynthCall:
    """Speak ``script`` with flite: one turn after the other, a seeded random gap between them, and for about
    :data:`OVERLAP_CHANCE` of turns a short overlap with the previous one instead."""
    if not flite_available():
        raise FliteError("flite not installed (apt install flite)")
    offered = voices()
    for party, name in (("agent_voice", agent_voice), ("customer_voice", customer_voice)):
        if name not in offered:  # flite itself falls back to its default voice without a word
            raise FliteError(f"{party}: flite has no voice {name!r}; it offers {', '.join(offered)}")
    rng = np.random.default_rng([seed, zlib.crc32(script.name.encode())])  # each script its own draws
    voice = {"agent": agent_voice, "customer": customer_voice}
    clips = [_speak(voice[t.role], t.text) for t in script.turns]
    starts = _layout([len(c) for c in clips], rng, gap_seconds)
    total = max(s + len(c) for s, c in zip(starts, clips, strict=True)) + int(LEAD_SECONDS * SAMPLE_RATE)
    stereo = np.zeros((total, 2), dtype=np.int16)
    refs: list[RefTurn] = []
    for turn, clip, start in zip(script.turns, clips, starts, strict=True):
        stereo[start: start + len(clip), 0 if turn.role == "agent" else 1] = clip
        refs.append(RefTurn(turn.role, turn.text, start / SAMPLE_RATE, (start + len(clip)) / SAMPLE_RATE))
    metadata = {"source": "callpilot.bench.speech_corpus", "synthesizer": "flite", "agent_voice": agent_voice,
                "customer_voice": customer_voice, "seed": seed, "sample_rate": SAMPLE_RATE,
                "channels": {"0": "agent", "1": "customer"}}
    return SynthCall(script.name, stereo, refs, metadata=metadata)


def _layout(lengths: Sequence[int], rng: np.random.Generator, gap_seconds: tuple[float, float]) -> list[int]:
    """Start samples. An overlap only happens where both turns outlast it by half a second, so a turn never
    starts before the previous one and a channel never overlaps itself (turns alternate)."""
    starts = [int(LEAD_SECONDS * SAMPLE_RATE)]
    for i in range(1, len(lengths)):
        prev_end = starts[-1] + lengths[i - 1]
        overlap = int(rng.uniform(*OVERLAP_SECONDS) * SAMPLE_RATE)
        gap = int(rng.uniform(*gap_seconds) * SAMPLE_RATE)
        room = min(lengths[i - 1], lengths[i]) - overlap
        if rng.random() < OVERLAP_CHANCE and room > SAMPLE_RATE // 2:
            starts.append(prev_end - overlap)
        else:
            starts.append(prev_end + gap)
    return starts


# --- the phone line ---------------------------------------------------------------------------------------------

def _phone_line(audio: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
    narrow = soxr.resample(audio.astype(np.float32) / 32768.0, rate, PHONE_RATE)
    line = _clip16(np.round(narrow * 32768.0))
    return ulaw_decode(ulaw_encode(line)).reshape(line.shape)


def _clip16(x: npt.NDArray[Any]) -> npt.NDArray[np.int16]:
    return np.asarray(np.clip(x, -32768, 32767), dtype=np.int16)


# --- command line -----------------------------------------------------------------------------------------------

def _write_reference(call: SynthCall, path: Path, **extra: Any) -> None:
    data = call.transcript()
    data["metadata"] = {**data["metadata"], **extra}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callpilot.bench.speech_corpus", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--telephone", action="store_true", help="8 kHz μ-law WAV instead of 16 kHz PCM")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixture", action="store_true",
                        help="write the shortest script as call_stereo.flac, call_stereo_ulaw.wav, call_stereo.json")
    args = parser.parse_args(argv)
    if not flite_available():
        parser.exit(2, "flite not installed (apt install flite)\n")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.fixture:
        call = synthesize_call(shortest_script(), seed=args.seed)
        call.write_wav(args.out_dir / "call_stereo.flac")
        call.write_wav(args.out_dir / "call_stereo_ulaw.wav", telephone=True)
        _write_reference(call, args.out_dir / "call_stereo.json")
        print(f"{call.name}: {call.duration:.1f} s -> {args.out_dir}")
        return 0
    for script in SCRIPTS:
        call = synthesize_call(script, seed=args.seed)
        call.write_wav(args.out_dir / f"{script.name}.wav", telephone=args.telephone)
        rate = PHONE_RATE if args.telephone else SAMPLE_RATE
        _write_reference(call, args.out_dir / f"{script.name}.json", sample_rate=rate, telephone=args.telephone)
        print(f"{script.name}: {len(script.turns)} turns, {call.duration:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
