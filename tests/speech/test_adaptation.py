"""Domain adaptation: the domain text, the trigram model, re-timing a rescored hypothesis, and the rescoring
itself on a recorded call."""

from __future__ import annotations

import math
from pathlib import Path

import jiwer
import numpy as np
import pytest

from callpilot.core.errors import ConfigError
from callpilot.core.settings import AdaptationSettings
from callpilot.replay.transcript import Transcript
from callpilot.speech.adaptation import DomainLM, domain_sentences, words_of
from callpilot.speech.adaptation.build import adaptation_options
from callpilot.speech.adaptation.corpus import DIGIT_CARRIERS, digit_sentences
from callpilot.speech.asr.base import Word
from callpilot.speech.asr.pocketsphinx import PocketsphinxDecoder, retime
from callpilot.speech.files import read_recording
from tests.speech.conftest import FIXTURES


@pytest.mark.parametrize(("text", "words"), [
    ("Call 911 now.", ["call", "nine", "one", "one", "now"]),
    ("between 8 and 11", ["between", "eight", "and", "eleven"]),
    ("the 20 or 45 minutes", ["the", "twenty", "or", "forty", "five", "minutes"]),
    ("Error E1042", ["error", "e", "one", "zero", "four", "two"]),
    ("07 is two digits", ["zero", "seven", "is", "two", "digits"]),
    ("Don’t re-open it", ["don't", "re", "open", "it"]),
    ("", []),
])
def test_words_of_spells_text_as_the_recognizer_writes_it(text: str, words: list[str]) -> None:
    assert words_of(text) == words


def test_domain_text_comes_from_kb_files_rulesets_and_digits(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "cards").mkdir(parents=True)
    (kb / "cards" / "lost.md").write_text("# Lost card\n\nBlock the **card** in the [Harbor app](https://x.y). "
                                          "A new card arrives in 5 days.\n")
    (kb / "faq.csv").write_text("question,answer\nWhat is overdraft protection?,A linked savings account\n")
    (kb / "ignored.pdf").write_bytes(b"%PDF")
    sentences = domain_sentences([kb], rulesets=["banking"], digits=False)
    flat = [" ".join(s) for s in sentences]
    assert "block the card in the harbor app" in flat
    assert "a new card arrives in five days" in flat
    assert "what is overdraft protection" in flat and "a linked savings account" in flat
    assert "this call may be recorded" in flat  # a phrase of the shipped banking ruleset
    assert not any("pdf" in s for s in flat)
    with_digits = domain_sentences([kb], digits=True)
    assert len(with_digits) > len(domain_sentences([kb], digits=False))


def test_a_ruleset_file_among_the_sources_counts_as_a_ruleset(tmp_path: Path) -> None:
    ruleset = tmp_path / "mine.yaml"
    ruleset.write_text("name: mine\nrules:\n  - id: no-promise\n    kind: prohibited\n    description: no promises\n"
                       "    severity: warning\n    message: Do not promise a refund.\n"
                       "    phrases: [i promise a full refund]\n")
    flat = [" ".join(s) for s in domain_sentences([ruleset], digits=False)]
    assert "i promise a full refund" in flat and "do not promise a refund" in flat


def test_a_missing_source_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        domain_sentences([tmp_path / "nowhere"])


def test_digit_sentences_read_digits_bare_and_in_carrier_phrases() -> None:
    sentences = list(digit_sentences(count=5))
    assert len(sentences) == 4 * 5 * len(DIGIT_CARRIERS)
    digits = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
    assert any(s[:4] == ["my", "account", "number", "is"] and set(s[4:]) <= digits for s in sentences)
    tails = [s[s.index("is") + 1:] if "is" in s else s for s in sentences]
    assert all(4 <= len(tail) <= 16 and set(tail) <= digits for tail in tails)


LM = DomainLM([["block", "the", "card"], ["block", "the", "account"], ["the", "card", "is", "blocked"]])


def test_the_model_is_a_distribution_over_what_it_has_seen_plus_unseen_mass() -> None:
    for history in ([], ["block"], ["block", "the"], ["never", "seen"]):
        total = sum(LM.prob(w, history) for w in LM.vocabulary)
        assert 0.9 < total < 1.0, (history, total)
    assert LM.prob("card", ["block", "the"]) > LM.prob("account", ["block", "the"]) > LM.prob("is", ["block", "the"])


def test_in_domain_word_order_scores_higher_and_unseen_words_are_not_impossible() -> None:
    assert LM.logprob(["block", "the", "card"]) > LM.logprob(["card", "the", "block"])
    unseen = LM.logprob(["block", "the", "zebra"])
    assert math.isfinite(unseen) and unseen < LM.logprob(["block", "the", "card"])


def test_a_model_refuses_a_senseless_unseen_mass() -> None:
    with pytest.raises(ValueError):
        DomainLM([], unseen_mass=0)


def _w(text: str, start: float, end: float) -> Word:
    return Word(text=text, start=start, end=end, confidence=0.9)


FIRST = (_w("thank", 0.0, 0.3), _w("use", 0.3, 0.6), _w("for", 0.6, 0.8), _w("calling", 0.8, 1.4))


@pytest.mark.parametrize(("chosen", "expected"), [
    (["thank", "use", "for", "calling"], [("thank", 0.0, 0.3), ("use", 0.3, 0.6), ("for", 0.6, 0.8),
                                         ("calling", 0.8, 1.4)]),
    (["thank", "you", "for", "calling"], [("thank", 0.0, 0.3), ("you", 0.3, 0.6), ("for", 0.6, 0.8),
                                         ("calling", 0.8, 1.4)]),
    (["thank", "you", "so", "for", "calling"], [("thank", 0.0, 0.3), ("you", 0.3, 0.45), ("so", 0.45, 0.6),
                                               ("for", 0.6, 0.8), ("calling", 0.8, 1.4)]),
    (["thank", "for", "calling"], [("thank", 0.0, 0.3), ("for", 0.6, 0.8), ("calling", 0.8, 1.4)]),
    (["thank", "use", "for", "calling", "today"], [("thank", 0.0, 0.3), ("use", 0.3, 0.6), ("for", 0.6, 0.8),
                                                  ("calling", 0.8, 1.4), ("today", 1.4, 1.4)]),
])
def test_a_rescored_hypothesis_keeps_the_first_pass_times_where_it_can(
        chosen: list[str], expected: list[tuple[str, float, float]]) -> None:
    timed = retime(FIRST, chosen)
    assert [(w.text, w.start, w.end) for w in timed] == expected
    kept = {w.text for w in FIRST} & set(chosen)
    assert all(w.confidence is None for w in timed if w.text not in kept)


@pytest.mark.parametrize(("settings", "keys"), [
    (AdaptationSettings(nbest=0), {"nbest"}),
    (AdaptationSettings(domain=False), {"nbest"}),
    (AdaptationSettings(weight=0), {"nbest"}),
    (AdaptationSettings(), {"nbest", "domain", "domain_weight"}),
])
def test_adaptation_settings_become_recognizer_options(settings: AdaptationSettings, keys: set[str]) -> None:
    options = adaptation_options(settings)
    assert set(options) == keys and options["nbest"] == settings.nbest
    if "domain" in options:
        assert isinstance(options["domain"], DomainLM) and "account" in options["domain"].vocabulary


def _decode_turns(decoder: PocketsphinxDecoder, reference: Transcript) -> tuple[list[str], list[str]]:
    recording = read_recording(FIXTURES / "call_stereo.flac")
    refs, hyps = [], []
    for turn in reference.segments:
        audio = recording.channel(0 if turn.speaker == "agent" else 1)
        piece = np.ascontiguousarray(audio[int(max(0.0, turn.start - 0.2) * 16000):int((turn.end + 0.2) * 16000)])
        decoder.begin()
        decoder.accept(piece.tobytes())
        hyp = decoder.end()
        assert all(a.start <= a.end <= b.start + 1e-6 for a, b in zip(hyp.words, hyp.words[1:], strict=False))
        refs.append(turn.text)
        hyps.append(hyp.text)
    return refs, hyps


def test_rescoring_with_a_domain_model_of_the_call_s_words_lowers_the_error_rate(reference: Transcript) -> None:
    refs, first = _decode_turns(PocketsphinxDecoder(nbest=0), reference)
    domain = DomainLM([words_of(t.text) for t in reference.segments])
    _, rescored = _decode_turns(PocketsphinxDecoder(nbest=30, domain=domain, domain_weight=0.003), reference)
    before, after = jiwer.wer(refs, first), jiwer.wer(refs, rescored)
    assert after < before, (before, after)


def test_negative_rescoring_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        PocketsphinxDecoder(nbest=-1)
