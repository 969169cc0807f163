"""Sentiment models: text in, a score in [-1, 1] out. VADER as is, and VADER calibrated for call language.

VADER (a rule-based lexicon model whose word list ships in its wheel, so it runs offline at about 65 us a
sentence) was built for written social-media text: it reads punctuation, capitals and single words. Call
transcripts have none of the first two, and carry their feeling in expressions ("you charged me twice", "third
time i have called") and hide it behind formulae ("thank you for calling", "sorry for the wait").
:class:`CalibratedVader` therefore

1. cuts a segment into clauses at punctuation and spoken discourse markers ("but", "because", "so i ...",
   "and you ..."), so that negation does not leak from one clause to the next and a "but" clause weighs more
   than what it contradicts, as VADER's own "but" rule does within a sentence;
2. normalises each clause the way ASR output varies (case, accents, contractions with or without apostrophes)
   and drops PII placeholders such as ``[CARD_NUMBER]``;
3. scores the call-lexicon phrases it finds (``data/call_lexicon.yaml``) in place of VADER's reading of those
   words, lets VADER score the rest with the lexicon's word overrides, and sums the valences as VADER does.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

from callpilot.analyzers.sentiment.lexicon import CallLexicon, fold, load_lexicon

__all__ = ["CalibratedVader", "ClauseScore", "RawVader", "ScoredText", "SentimentModel", "normalize_tokens",
           "split_clauses"]

_NEGATORS = frozenset(NEGATE)
_ALPHA = 15.0  # VADER's normalisation constant: compound = x / sqrt(x^2 + alpha)


@dataclass(frozen=True, slots=True)
class ClauseScore:
    """A clause's character span in the original text, its weighted valence, and the lexicon phrases found."""

    start: int
    end: int
    valence: float
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoredText:
    score: float
    clauses: tuple[ClauseScore, ...]


class SentimentModel(ABC):
    """Scores one utterance in [-1, 1]; ``neutral_band`` is the |score| below which it counts as neutral."""

    name: ClassVar[str]
    neutral_band: ClassVar[float] = 0.05

    @abstractmethod
    def score(self, text: str) -> float: ...

    def explain(self, text: str) -> ScoredText:
        """The score with the parts of the text it came from; by default the whole text is one part."""
        value = self.score(text)
        return ScoredText(value, (ClauseScore(0, len(text), value),))


class RawVader(SentimentModel):
    """VADER's compound score on the text as given, with VADER's own neutral band (|compound| < 0.05)."""

    name: ClassVar[str] = "vader"

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> float:
        return float(self._vader.polarity_scores(text)["compound"])


# --- clauses -------------------------------------------------------------------------------------------------

_FOLLOWERS = ("i|you|we|they|he|she|it|its|it's|that|that's|this|my|your|the|why|what|how|now|then|if|when|"
              "nobody|no|there|there's|i'm|i've|you're|we're")
# A clause ends at punctuation or before a discourse marker; "so", "and", "or" only when a new clause follows
# ("so i ...", "and you ..."), not as an intensifier ("thank you so much").
_BREAK = re.compile(
    r"[,.;:!?\u2026]+|\b(?P<marker>but|however|although|though|because|cause|"
    rf"(?:so|and|or|plus|anyway)(?=\s+(?:{_FOLLOWERS})\b))\b",
    re.IGNORECASE,
)
_CONTRAST = {"but": 1.5, "however": 1.5}  # weight of the clause after; clauses before get 0.5 (VADER's rule)
_CONCESSION = {"although": 0.5, "though": 0.5}  # weight of the clause the marker opens


def split_clauses(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, marker that opened it) for each non-empty clause of ``text``."""
    clauses: list[tuple[int, int, str | None]] = []
    start, marker = 0, None
    for m in _BREAK.finditer(text):
        if text[start:m.start()].strip():
            clauses.append((start, m.start(), marker))
            marker = None
        if m.group("marker"):
            marker = m.group("marker").lower()
        start = m.end()
    if text[start:].strip():
        clauses.append((start, len(text), marker))
    return clauses


def _weights(markers: list[str | None]) -> list[float]:
    weights = [1.0] * len(markers)
    for i, marker in enumerate(markers):
        if marker in _CONTRAST:
            weights[:i] = [w * 0.5 for w in weights[:i]]
            weights[i] *= _CONTRAST[marker]
        elif marker in _CONCESSION:
            weights[i] *= _CONCESSION[marker]
    return weights


# --- tokens --------------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z0-9_]*\]")
_EDGE_PUNCT = "\"'`()[]{}<>,.;:!?-\u2026"
_WHOLE = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not", "ain't": "is not",
    "shan't": "shall not", "i'm": "i am", "im": "i am", "let's": "let us", "ive": "i have", "youre": "you are",
    "youve": "you have", "theyre": "they are", "weve": "we have", "thats": "that is", "whats": "what is",
    "theres": "there is", "gonna": "going to", "wanna": "want to", "gotta": "got to", "dunno": "do not know",
}
_NOT_WITHOUT_APOSTROPHE = {"dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "arent", "havent", "hasnt",
                           "hadnt", "couldnt", "shouldnt", "wouldnt", "mustnt"}
_IS_AFTER = {"it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "this", "everything"}
_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"))


def _expand(token: str) -> str:
    if token in _WHOLE:
        return _WHOLE[token]
    if token in _NOT_WITHOUT_APOSTROPHE:
        return token[:-2] + " not"
    for suffix, replacement in _SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return token[: -len(suffix)] + replacement
    if token.endswith("'s"):
        stem = token[:-2]
        return f"{stem} is" if stem in _IS_AFTER else stem + "s"
    return token.replace("'", "")


def normalize_tokens(text: str) -> list[str]:
    """Lower-case, accent-free, contraction-expanded tokens without placeholders or edge punctuation."""
    text = fold(_PLACEHOLDER.sub(" ", text)).replace("\u2019", "'").replace("\u2018", "'")
    tokens: list[str] = []
    for raw in text.split():
        token = raw.strip(_EDGE_PUNCT)
        if token:
            tokens.extend(_expand(token).split())
    return tokens


# --- the calibrated model ------------------------------------------------------------------------------------

class CalibratedVader(SentimentModel):
    """VADER with the call lexicon, clause splitting and ASR-text normalisation (see the module docstring).

    ``lexicon`` replaces the packaged call lexicon and ``extra_lexicon`` adds to it (paths to YAML files); a
    malformed file raises ConfigError at construction, naming the bad entry.
    """

    name: ClassVar[str] = "calibrated_vader"
    # Chosen on the development split (see callpilot.bench.sentiment): spoken text carries no "!" or capitals,
    # so VADER's 0.05 band calls formulae and filler positive.
    neutral_band: ClassVar[float] = 0.2

    def __init__(self, *, lexicon: str | Path | None = None, extra_lexicon: str | Path | None = None) -> None:
        self.lexicon: CallLexicon = load_lexicon(lexicon, extra=extra_lexicon)
        self._vader = SentimentIntensityAnalyzer()
        # Our own instance: the overrides must not change VADER for anyone else in the process.
        self._vader.lexicon = {**self._vader.lexicon}
        for word, valence in self.lexicon.words.items():
            if valence == 0:
                self._vader.lexicon.pop(word, None)
            else:
                self._vader.lexicon[word] = valence

    def score(self, text: str) -> float:
        return self.explain(text).score

    def explain(self, text: str) -> ScoredText:
        spans = split_clauses(text)
        weights = _weights([marker for _, _, marker in spans])
        clauses = []
        for (start, end, _), weight in zip(spans, weights, strict=True):
            valence, cues = self._clause_valence(text[start:end])
            clauses.append(ClauseScore(start, end, round(weight * valence, 4), cues))
        total = sum(c.valence for c in clauses)
        return ScoredText(round(total / math.sqrt(total * total + _ALPHA), 4), tuple(clauses))

    def _clause_valence(self, clause: str) -> tuple[float, tuple[str, ...]]:
        """Lexicon phrases' valences plus VADER's valence sum for the words no phrase covered.

        A negator inside a phrase stays visible to VADER, so that it still negates the words after the phrase
        ("this still does not | solve anything": "solve" is not praise).
        """
        tokens = normalize_tokens(clause)
        matches = self.lexicon.find(tokens)
        rest, valence, last = [], 0.0, 0
        for match in matches:
            rest.extend(tokens[last:match.start])
            rest.extend(t for t in tokens[match.start:match.end] if t in _NEGATORS)
            valence += match.phrase.valence
            last = match.end
        rest.extend(tokens[last:])
        if rest:
            valence += self._vader_sum(" ".join(rest))
        return valence, tuple(m.phrase.text for m in matches if m.phrase.valence)

    def _vader_sum(self, text: str) -> float:
        """VADER's valence sum before normalisation, recovered from its compound (the clause has no punctuation
        left, so no emphasis was added). Uses the public API only; |compound| is capped below 1 to stay finite."""
        compound = max(-0.9999, min(0.9999, float(self._vader.polarity_scores(text)["compound"])))
        return compound * math.sqrt(_ALPHA / (1.0 - compound * compound))
