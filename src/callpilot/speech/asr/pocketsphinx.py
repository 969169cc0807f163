"""CMU PocketSphinx: the default engine. Its US English model ships inside the wheel, so it works on a fresh
machine with no download.

The decoder is CPU-bound and holds the GIL, so a server runs decoders in worker processes
(callpilot.speech.asr.workers); ``PocketsphinxDecoder`` is the synchronous core they and the CLI share.
Decoding uses the first (tree) pass only (``fwdflat`` and ``bestpath`` off): on this project's measurements
it is as accurate on call audio and ends an utterance in ~20 ms instead of ~300 ms (docs/speech.md).

At the end of an utterance the decoder's N-best list (``nbest`` entries of its word lattice) is re-ranked by
its full score plus, with a ``domain`` language model, ``domain_weight`` times that model's log probability
(callpilot.speech.adaptation). Each takes a few milliseconds; docs/benchmarks.md has what they do to accuracy.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callpilot.core.errors import ConfigError
from callpilot.speech.asr.base import Hypothesis, RecognizerStream, SpeechRecognizer, Word
from callpilot.speech.asr.workers import DecoderPool, InlineStream

if TYPE_CHECKING:
    from callpilot.speech.adaptation import DomainLM

__all__ = ["PocketsphinxASR", "PocketsphinxDecoder", "retime"]

_FRAME_SECONDS = 0.01  # pocketsphinx's default frame rate is 100 frames a second
_FILLER = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\+\+.*\+\+)$")
_ALTERNATE = re.compile(r"\(\d+\)$")


class PocketsphinxDecoder:
    """One utterance at a time, synchronously. ``options`` go to ``pocketsphinx.Decoder`` as they are."""

    DEFAULTS: dict[str, Any] = {"fwdflat": False, "bestpath": False, "loglevel": "FATAL"}

    def __init__(self, *, options: dict[str, Any] | None = None, dictionary_words: dict[str, str] | None = None,
                 nbest: int = 0, domain: DomainLM | None = None, domain_weight: float = 0.0) -> None:
        from pocketsphinx import Decoder

        if nbest < 0 or domain_weight < 0:
            raise ConfigError("pocketsphinx nbest and domain_weight must not be negative")
        self._nbest, self._domain, self._domain_weight = nbest, domain, domain_weight

        merged = {**self.DEFAULTS, **(options or {})}
        for key in ("hmm", "lm", "dict"):
            if key in merged and not Path(str(merged[key])).exists():
                raise ConfigError(f"pocketsphinx {key} {merged[key]!r} does not exist")
        try:
            self._decoder = Decoder(samprate=16000, **merged)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ConfigError(f"pocketsphinx would not start with options {merged}: {exc}") from exc
        for word, phones in (dictionary_words or {}).items():
            self._decoder.add_word(word, phones, update=False)
        if dictionary_words:
            self._decoder.add_word(*next(iter(dictionary_words.items())), update=True)
        self._in_utterance = False
        self._log_base = math.log(float(self._decoder.config["logbase"]))
        # Word posteriors come from the lattice pass; with it off (the default) there is no honest confidence.
        self._posteriors = bool(merged.get("bestpath", True))

    def begin(self) -> None:
        if self._in_utterance:
            self._decoder.end_utt()
        self._decoder.start_utt()
        self._in_utterance = True

    def accept(self, pcm: bytes) -> Hypothesis | None:
        self._decoder.process_raw(pcm, False, False)
        hyp = self._decoder.hyp()
        return Hypothesis(text=_clean_text(hyp.hypstr)) if hyp is not None and hyp.hypstr else None

    def end(self) -> Hypothesis:
        if not self._in_utterance:
            return Hypothesis(text="")
        self._decoder.end_utt()
        self._in_utterance = False
        words = tuple(
            Word(text=_ALTERNATE.sub("", s.word), start=round(s.start_frame * _FRAME_SECONDS, 3),
                 end=round((s.end_frame + 1) * _FRAME_SECONDS, 3),
                 confidence=round(float(s.prob), 3) if self._posteriors else None)
            for s in self._decoder.seg() if not _FILLER.match(s.word)
        )
        if self._nbest:
            chosen = self._rescored()
            if chosen is not None and chosen != [w.text for w in words]:
                words = retime(words, chosen)
        text = " ".join(w.text for w in words)
        scores = [w.confidence for w in words if w.confidence is not None]
        confidence = round(sum(scores) / len(scores), 3) if scores else None
        return Hypothesis(text=text, words=words, confidence=confidence)


    def _rescored(self) -> list[str] | None:
        """The best of the N-best list by its score (in the decoder's log units) plus the domain model's."""
        best: tuple[float, list[str]] | None = None
        for index, hyp in enumerate(self._decoder.nbest()):
            if index >= self._nbest:
                break
            if hyp is None or hyp.score <= 0:  # the binding hands out exp(score): 0 is an underflow, no contest
                continue
            words = _clean_text(hyp.hypstr).split()
            score = math.log(hyp.score) / self._log_base
            if self._domain is not None and self._domain_weight:
                score += self._domain_weight * self._domain.logprob(words) / self._log_base
            if best is None or score > best[0]:
                best = (score, words)
        return best[1] if best is not None else None


def retime(first: tuple[Word, ...], chosen: list[str]) -> tuple[Word, ...]:
    """Word times for a rescored hypothesis: words it shares with the first pass keep theirs; the others share
    the time between their matched neighbours evenly. Their confidence is unknown."""
    if not first:
        return ()
    start, end = first[0].start, first[-1].end
    timed: list[Word] = []
    matcher = difflib.SequenceMatcher(a=[w.text for w in first], b=chosen, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            timed.extend(first[a0:a1])
            continue
        if b1 == b0:
            continue
        left = first[a0 - 1].end if a0 > 0 else start
        right = first[a1].start if a1 < len(first) else end
        if a1 > a0:  # replaced words: their own span
            left, right = first[a0].start, first[a1 - 1].end
        step = max(right - left, 0.0) / (b1 - b0)
        timed.extend(Word(text=chosen[b0 + i], start=round(left + i * step, 3), end=round(left + (i + 1) * step, 3),
                          confidence=None) for i in range(b1 - b0))
    return tuple(timed)


def _clean_text(hypstr: str) -> str:
    return " ".join(_ALTERNATE.sub("", w) for w in hypstr.split() if not _FILLER.match(w))


class _DecoderFactory:
    """A picklable recipe for a decoder, so worker processes can build their own."""

    def __init__(self, options: dict[str, Any], dictionary_words: dict[str, str], rescoring: dict[str, Any]
                 ) -> None:
        self.options, self.dictionary_words, self.rescoring = options, dictionary_words, rescoring

    def __call__(self) -> PocketsphinxDecoder:
        return PocketsphinxDecoder(options=self.options, dictionary_words=self.dictionary_words, **self.rescoring)


class PocketsphinxASR(SpeechRecognizer):
    """``workers`` > 0 decodes in that many processes (a server); 0 decodes in the caller's thread (the CLI).
    ``nbest``, ``domain`` and ``domain_weight``: the end-of-utterance rescoring (module docstring)."""

    name = "pocketsphinx"

    def __init__(self, *, workers: int = 0, options: dict[str, Any] | None = None,
                 dictionary_words: dict[str, str] | None = None, nbest: int = 0, domain: DomainLM | None = None,
                 domain_weight: float = 0.0) -> None:
        rescoring = {"nbest": nbest, "domain": domain, "domain_weight": domain_weight}
        self._factory = _DecoderFactory(dict(options or {}), dict(dictionary_words or {}), rescoring)
        self._factory()  # fail at start-up on a bad model path or option, not in a worker at the first call
        self._pool = DecoderPool(self._factory, workers=workers) if workers > 0 else None

    def open(self) -> RecognizerStream:
        return self._pool.open() if self._pool is not None else InlineStream(self._factory())

    async def warm_up(self) -> None:
        if self._pool is not None:
            await self._pool.warm_up()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
