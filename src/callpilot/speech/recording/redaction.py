"""Which stretches of audio held personal data, and silencing (or beeping) them.

The recognizer's words are raw; the stored segment text is redacted (and may have been amended later, when a
number read out in pieces was recognised). Aligning the two word sequences shows which words the stored text
no longer has: their times, padded a little, are the stretches to silence. The raw words live only in memory
for the length of the call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np
import numpy.typing as npt

from callpilot.domain.events.recording import SilencedSpan
from callpilot.speech.asr.base import Word

__all__ = ["apply_silence", "pii_spans", "redacted_words"]

_TOKEN = re.compile(r"\[[^\]]*\]|[^\s]+")
PAD_SECONDS = 0.08


def _norm(token: str) -> str:
    return token.lower().strip(".,!?;:\"'")


# Words a recognizer hears in place of a digit ("two" as "to", "four" as "for"): next to a redacted number
# they are the number's digits too, and are silenced with it.
DIGIT_SOUNDALIKES = frozenset({"to", "too", "for", "far", "fore", "won", "ate", "oh", "o", "free", "tree",
                               "sex", "sicks", "nein", "night", "fine", "fife", "sven", "tin", "ten"})
MERGE_WORDS = 2  # redacted runs this few words apart in one utterance are one stretch (the words between too)


def _redacted_runs(words: Sequence[Word], tokens: list[str]) -> list[tuple[int, int, str]]:
    """(first word, last word + 1, placeholder) of each run of words the stored text replaced or dropped."""
    matcher = SequenceMatcher(a=[_norm(w.text) for w in words], b=[_norm(t) for t in tokens], autojunk=False)
    runs = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete") and i2 > i1:
            runs.append((i1, i2, " ".join(t for t in tokens[j1:j2] if t.startswith("[")) or "redacted"))
    return runs


def _widen(runs: list[tuple[int, int, str]], words: Sequence[Word]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for i1, i2, entity in runs:
        if "NUMBER" in entity or "CARD" in entity or "PHONE" in entity or "ACCOUNT" in entity:
            while i1 > 0 and _norm(words[i1 - 1].text) in DIGIT_SOUNDALIKES:
                i1 -= 1
            while i2 < len(words) and _norm(words[i2].text) in DIGIT_SOUNDALIKES:
                i2 += 1
        if merged and i1 - merged[-1][1] <= MERGE_WORDS:
            p1, _, pe = merged[-1]
            merged[-1] = (p1, max(i2, merged[-1][1]), pe if pe == entity else f"{pe} {entity}")
        else:
            merged.append((i1, i2, entity))
    return merged


def pii_spans(channel: str, words: Sequence[Word], stored_text: str, *, end_limit: float | None = None
              ) -> list[SilencedSpan]:
    """The time spans of ``words`` that ``stored_text`` (their redacted form) replaced or dropped, widened
    over the digit sound-alikes beside a number and over the few words between two redacted runs."""
    if not words:
        return []
    spans: list[SilencedSpan] = []
    for i1, i2, entity in _widen(_redacted_runs(words, _TOKEN.findall(stored_text)), words):
        start = max(0.0, words[i1].start - PAD_SECONDS)
        end = words[i2 - 1].end + PAD_SECONDS
        spans.append(SilencedSpan(channel=channel, start=round(start, 3),
                                  end=round(min(end, end_limit) if end_limit else end, 3), entity=entity))
    return spans


def apply_silence(samples: npt.NDArray[np.int16], sample_rate: int, spans: Sequence[SilencedSpan],
                  *, mode: str = "silence") -> npt.NDArray[np.int16]:
    """A copy of one channel with each span zeroed, or replaced by a quiet 1 kHz tone (``mode="beep"``)."""
    out = samples.copy()
    for span in spans:
        a = max(0, int(span.start * sample_rate))
        b = min(len(out), int(np.ceil(span.end * sample_rate)))
        if b <= a:
            continue
        if mode == "beep":
            t = np.arange(b - a) / sample_rate
            out[a:b] = (0.1 * 32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
        else:
            out[a:b] = 0
    return out


def redacted_words(words: Sequence[Word], stored_text: str) -> list[Word]:
    """The words as the stored text has them: kept words keep their times, a redacted run becomes its
    placeholder spanning the run's time (so a transcript with word times holds no raw value)."""
    tokens = _TOKEN.findall(stored_text)
    matcher = SequenceMatcher(a=[_norm(w.text) for w in words], b=[_norm(t) for t in tokens], autojunk=False)
    out: list[Word] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(Word(text=tokens[j], start=w.start, end=w.end, confidence=w.confidence)
                       for j, w in zip(range(j1, j2), words[i1:i2], strict=True))
        elif tag == "replace" and i2 > i1:
            out.append(Word(text=" ".join(tokens[j1:j2]), start=words[i1].start, end=words[i2 - 1].end))
        elif tag == "insert" and out:
            out.append(Word(text=" ".join(tokens[j1:j2]), start=out[-1].end, end=out[-1].end))
    return out
