"""Which stretches of a recording held personal data (aligning raw words with the stored, redacted text)."""

from __future__ import annotations

import numpy as np
import pytest

from callpilot.domain.events.recording import SilencedSpan
from callpilot.speech.asr.base import Word
from callpilot.speech.recording.redaction import PAD_SECONDS, apply_silence, pii_spans, redacted_words

CARD_WORDS = [Word("my", 0, .2), Word("card", .2, .5), Word("is", .5, .6), Word("four", .6, .9),
              Word("one", .9, 1.2), Word("one", 1.2, 1.5)]
CARD_TEXT = "my card is [CARD_NUMBER]"


def _words(*spec: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end) for text, start, end in spec]


@pytest.mark.parametrize(("words", "text", "expected"), [
    pytest.param(CARD_WORDS, CARD_TEXT,
                 [(round(0.6 - PAD_SECONDS, 3), round(1.5 + PAD_SECONDS, 3), "[CARD_NUMBER]")], id="card"),
    pytest.param(CARD_WORDS, "my card is four one one", [], id="text-equal"),
    pytest.param(CARD_WORDS, "My card is four, one one.", [], id="text-equal-but-case-and-punctuation"),
    pytest.param([], CARD_TEXT, [], id="no-words"),
    pytest.param(_words(("call", 0, .3), ("me", .3, .5), ("on", .5, .6), ("five", .6, .9), ("five", .9, 1.1)),
                 "call me on [PHONE_NUMBER]", [(0.52, 1.18, "[PHONE_NUMBER]")], id="phone"),
    pytest.param(_words(("seven", 0.02, .3), ("two", .3, .6), ("thanks", .6, 1.0)), "[CARD_NUMBER] thanks",
                 [(0.0, 0.68, "[CARD_NUMBER]")], id="start-clamped-at-zero"),
    pytest.param(_words(("i'm", 0, .2), ("john", .2, .5), ("smith", .5, .9), ("thanks", .9, 1.2)),
                 "i'm [PERSON] thanks", [(0.12, 0.98, "[PERSON]")], id="name"),
    pytest.param(_words(("it's", 0, .2), ("secret", .2, .6), ("ok", .6, .8)), "it's ok",
                 [(0.12, 0.68, "redacted")], id="dropped-word"),
    # "for" beside a number is a digit the recognizer misheard: silenced with the number
    pytest.param(_words(("is", 0, .2), ("for", .2, .4), ("one", .4, .6), ("two", .6, .8), ("ok", .8, 1.0)),
                 "is for [CARD_NUMBER] ok", [(0.12, 0.88, "[CARD_NUMBER]")], id="digit-soundalike-widened"),
    # two redacted runs two words apart are one stretch, the words between too
    pytest.param(_words(("john", 0, .3), ("at", .3, .4), ("number", .4, .6), ("five", .6, .8), ("six", .8, 1.0),
                        ("bye", 1.0, 1.2)),
                 "[PERSON] at number [PHONE_NUMBER] bye", [(0.0, 1.08, "[PERSON] [PHONE_NUMBER]")],
                 id="runs-merged"),
    pytest.param(_words(("john", 0, .3), ("said", .3, .5), ("that", .5, .7), ("he", .7, .8), ("lives", .8, 1.0),
                        ("in", 1.0, 1.1), ("paris", 1.1, 1.4)),
                 "[PERSON] said that he lives in [LOCATION]",
                 [(0.0, 0.38, "[PERSON]"), (1.02, 1.48, "[LOCATION]")], id="runs-apart"),
])
def test_pii_spans(words: list[Word], text: str, expected: list[tuple[float, float, str]]) -> None:
    spans = pii_spans("customer", words, text)
    # pii_spans rounds to the millisecond
    assert [(s.start, s.end, s.entity) for s in spans] == [(round(a, 3), round(b, 3), e) for a, b, e in expected]
    assert all(s.channel == "customer" for s in spans)


def test_card_span_exactly() -> None:
    (span,) = pii_spans("customer", CARD_WORDS, CARD_TEXT)
    assert span == SilencedSpan(channel="customer", start=round(0.6 - PAD_SECONDS, 3),
                                end=round(1.5 + PAD_SECONDS, 3), entity="[CARD_NUMBER]")


@pytest.mark.parametrize(("end_limit", "end"), [
    pytest.param(None, 1.58, id="no-limit"),
    pytest.param(1.52, 1.52, id="clamped-to-audio"),
    pytest.param(2.0, 1.58, id="limit-past-span"),
])
def test_end_limit(end_limit: float | None, end: float) -> None:
    (span,) = pii_spans("agent", CARD_WORDS, CARD_TEXT, end_limit=end_limit)
    assert span.end == pytest.approx(end)


@pytest.mark.parametrize(("words", "text", "expected"), [
    pytest.param(CARD_WORDS, CARD_TEXT,
                 [("my", 0, .2), ("card", .2, .5), ("is", .5, .6), ("[CARD_NUMBER]", .6, 1.5)], id="card"),
    pytest.param(CARD_WORDS, "my card is four one one",
                 [("my", 0, .2), ("card", .2, .5), ("is", .5, .6), ("four", .6, .9), ("one", .9, 1.2),
                  ("one", 1.2, 1.5)], id="unchanged"),
    pytest.param(_words(("hello", 0, .4), ("john", .4, .7), ("smith", .7, 1.0), ("bye", 1.0, 1.3)),
                 "Hello [PERSON] bye.", [("Hello", 0, .4), ("[PERSON]", .4, 1.0), ("bye.", 1.0, 1.3)],
                 id="stored-spelling-kept"),
    pytest.param(_words(("it's", 0, .2), ("secret", .2, .6), ("ok", .6, .8)), "it's ok",
                 [("it's", 0, .2), ("ok", .6, .8)], id="dropped-word-gone"),
])
def test_redacted_words(words: list[Word], text: str, expected: list[tuple[str, float, float]]) -> None:
    out = redacted_words(words, text)
    assert [(w.text, w.start, w.end) for w in out] == expected


def test_redacted_words_keep_confidence_of_kept_words() -> None:
    words = [Word("my", 0, .2, 0.9), Word("card", .2, .5, 0.8), Word("is", .5, .6, 0.7), Word("four", .6, .9, 0.6)]
    out = redacted_words(words, CARD_TEXT)
    assert [w.confidence for w in out] == [0.9, 0.8, 0.7, None]
    assert all("four" not in w.text for w in out)


RATE = 8000


@pytest.mark.parametrize(("spans", "zeroed"), [
    pytest.param([SilencedSpan(channel="c", start=0.5, end=1.0, entity="[X]")], [(4000, 8000)], id="one"),
    pytest.param([SilencedSpan(channel="c", start=0.1, end=0.2, entity="[X]"),
                  SilencedSpan(channel="c", start=1.5, end=1.75, entity="[Y]")], [(800, 1600), (12000, 14000)],
                 id="two"),
    pytest.param([SilencedSpan(channel="c", start=1.9, end=3.0, entity="[X]")], [(15200, 16000)],
                 id="clipped-to-audio"),
    pytest.param([SilencedSpan(channel="c", start=2.5, end=3.0, entity="[X]")], [], id="past-the-end"),
    pytest.param([SilencedSpan(channel="c", start=0.5, end=0.5, entity="[X]")], [], id="empty"),
    pytest.param([SilencedSpan(channel="c", start=0.0, end=0.25, entity="[X]")], [(0, 2000)], id="from-zero"),
])
def test_apply_silence_zeros_exactly_the_span(spans: list[SilencedSpan], zeroed: list[tuple[int, int]]) -> None:
    samples = np.full(2 * RATE, 1234, dtype=np.int16)
    out = apply_silence(samples, RATE, spans)
    expected = samples.copy()
    for a, b in zeroed:
        expected[a:b] = 0
    np.testing.assert_array_equal(out, expected)
    assert (samples == 1234).all()  # the input is not touched
    assert out.dtype == np.int16


def test_apply_silence_card_span() -> None:
    spans = pii_spans("customer", CARD_WORDS, CARD_TEXT)
    samples = np.full(2 * RATE, -500, dtype=np.int16)
    out = apply_silence(samples, RATE, spans)
    a, b = round(0.52 * RATE), round(1.58 * RATE)
    assert not out[a:b].any()
    assert (out[:a] == -500).all() and (out[b:] == -500).all()


@pytest.mark.parametrize(("start", "end"), [
    pytest.param(0.5, 1.0, id="half-second"),
    pytest.param(0.0, 0.01, id="short"),
])
def test_apply_silence_beep(start: float, end: float) -> None:
    samples = np.full(2 * RATE, 20000, dtype=np.int16)
    span = SilencedSpan(channel="c", start=start, end=end, entity="[X]")
    out = apply_silence(samples, RATE, [span], mode="beep")
    a, b = int(start * RATE), int(end * RATE)
    tone = out[a:b].astype(np.int32)
    assert tone.any()
    assert np.abs(tone).max() <= 0.1 * 32767
    assert np.abs(tone).max() > 0.05 * 32767  # a tone, not a whisper
    assert (out[:a] == 20000).all() and (out[b:] == 20000).all()
    # 1 kHz at 8 kHz: the tone repeats every 8 samples
    if b - a >= 16:
        np.testing.assert_array_equal(tone[:8], tone[8:16])
