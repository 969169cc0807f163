"""A word trigram model with interpolated Witten-Bell smoothing, small enough to build at start-up from a few
thousand sentences and to pickle into the recognizer's worker processes.

Written here rather than taken from nltk.lm: that would be a new dependency for 50 lines, and its models give
words outside the training vocabulary no probability at all, while a rescorer must score every hypothesis the
recognizer can produce (here an unseen word gets a floor share of the unigram mass).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

__all__ = ["DomainLM"]

_START, _END = "<s>", "</s>"


class DomainLM:
    """``logprob(words)``: the natural log of the sentence's probability, ``</s>`` included."""

    def __init__(self, sentences: Iterable[Sequence[str]], *, unseen_mass: float = 0.05) -> None:
        if not 0 < unseen_mass < 1:
            raise ValueError("unseen_mass must be between 0 and 1")
        self._unigrams: Counter[str] = Counter()
        self._ngrams: Counter[tuple[str, ...]] = Counter()
        self._history: Counter[tuple[str, ...]] = Counter()
        followers: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
        for sentence in sentences:
            words = [_START, _START, *sentence, _END]
            for i in range(2, len(words)):
                word = words[i]
                self._unigrams[word] += 1
                for history in ((words[i - 1],), (words[i - 2], words[i - 1])):
                    self._ngrams[(*history, word)] += 1
                    self._history[history] += 1
                    followers[history].add(word)
        self._followers = {h: len(f) for h, f in followers.items()}
        self._total = sum(self._unigrams.values())
        self.unseen_mass = unseen_mass
        # An unseen word's share: the unseen mass spread over a nominal open vocabulary of 100k words.
        self._unseen = unseen_mass / 100_000

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._unigrams)

    @property
    def tokens(self) -> int:
        return self._total

    def prob(self, word: str, history: Sequence[str] = ()) -> float:
        """P(word | the last two words of history), Witten-Bell interpolated down to the unigram."""
        count = self._unigrams.get(word, 0)
        p = (1 - self.unseen_mass) * count / self._total if count and self._total else self._unseen
        padded = (_START, _START, *history)
        for order in (1, 2):
            h = tuple(padded[-order:])
            seen = self._history.get(h, 0)
            if not seen:
                break
            types = self._followers[h]
            p = (self._ngrams.get((*h, word), 0) + types * p) / (seen + types)
        return p

    def logprob(self, words: Sequence[str]) -> float:
        history: list[str] = []
        total = 0.0
        for word in [*words, _END]:
            total += math.log(self.prob(word, history))
            history.append(word)
        return total
