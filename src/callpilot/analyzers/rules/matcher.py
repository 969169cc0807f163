"""Finds every rule's first match in a segment, in one pass whatever the number of rules.

Phrases are matched on whole words and tolerate ASR errors: an index from words to the phrases containing them
proposes candidates (a misrecognised word is looked up by fuzzy similarity against the rules' vocabulary, once per
distinct word), and each candidate is scored with rapidfuzz against the word windows around it. Regexes run in a
single RE2 set pass. A match that one of the rule's ``allow`` phrases ("can't guarantee") overlaps or directly
precedes does not count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from callpilot.analyzers.rules.linear_regex import PatternSet
from callpilot.analyzers.rules.model import Ruleset
from callpilot.analyzers.rules.text import Token, tokenize

__all__ = ["Hit", "RulesetMatcher"]

Role = Literal["match", "allow"]

# Words too common to propose a candidate on their own; a phrase made of them only uses all its words.
_STOPWORDS = frozenset({
    "a", "an", "the", "i", "im", "ill", "ive", "id", "you", "youre", "youll", "youve", "your", "yours", "we",
    "were", "well", "weve", "our", "it", "its", "is", "are", "was", "be", "been", "being", "to", "of", "in", "on",
    "at", "for", "and", "or", "but", "so", "if", "that", "this", "these", "those", "there", "theres", "my", "me",
    "us", "he", "she", "they", "them", "their", "his", "her", "do", "does", "did", "dont", "can", "cant", "will",
    "wont", "would", "could", "should", "have", "has", "had", "just", "not", "no", "yes", "ok", "okay", "um", "uh",
    "like", "as", "with", "by", "from", "up", "out", "about", "any", "all", "some", "what", "whats", "when", "how",
})
MIN_FUZZY_LENGTH = 5
"""Shorter words are matched exactly: too many short words are within one edit of each other."""
MAX_CACHED_WORDS = 50_000
PREFILTER_MARGIN = 20.0
"""A candidate whose voted window scores this far below the threshold is not searched further (a split or merged
word costs a window about 10 points)."""
ALLOW_REACH = 10
"""An allow phrase excuses a match it overlaps or that starts at most this many characters after it ends, so
that a negation covers what it negates: "I can't promise (that) you'll get your money back"."""


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a rule matched: character offsets into the segment text, and the fuzzy score (100 = exact)."""

    start: int
    end: int
    score: float


@dataclass(slots=True)
class _Phrase:
    text: str
    words: tuple[str, ...]
    need: int
    owners: list[tuple[int, Role, float | None]] = field(default_factory=list)
    cutoff: float | None = 100.0  # lowest score any owner accepts; None when every owner wants exact words


class RulesetMatcher:
    """Precompiled from a ruleset once; ``scan(text)`` returns ``{rule index: first match}``."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._phrases: list[_Phrase] = []
        by_text: dict[str, _Phrase] = {}
        patterns: list[str] = []
        self._pattern_owner: list[int] = []
        roles: tuple[Role, Role] = ("match", "allow")
        for index, rule in enumerate(ruleset.rules):
            threshold = ruleset.threshold_of(rule)
            for role, texts in zip(roles, (rule.phrases, rule.allow), strict=True):
                for text in texts:
                    self._add_phrase(by_text, text, (index, role, threshold))
            patterns.extend(rule.patterns)
            self._pattern_owner.extend([index] * len(rule.patterns))
        self._patterns = PatternSet(patterns)
        self._index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for pid, entry in enumerate(self._phrases):
            anchors = _anchors(entry.words)
            for pos, word in enumerate(entry.words):
                if word in anchors:
                    self._index[word].append((pid, pos))
        fuzzy_floors = [p.cutoff for p in self._phrases if p.cutoff is not None and p.cutoff < 100]
        self._word_cutoff = max(50.0, min(fuzzy_floors) - 5) if fuzzy_floors else None
        self._vocabulary = sorted(w for w in self._index if len(w) >= MIN_FUZZY_LENGTH and not w.startswith("["))
        self._similar_cache: dict[str, tuple[str, ...]] = {}

    def _add_phrase(self, by_text: dict[str, _Phrase], phrase: str, owner: tuple[int, Role, float | None]) -> None:
        words = tuple(t.norm for t in tokenize(phrase))
        text = " ".join(words)
        entry = by_text.get(text)
        if entry is None:
            anchors = _anchors(words)
            entry = by_text[text] = _Phrase(text, words, need=max(1, math.ceil(len(anchors) / 2)))
            self._phrases.append(entry)
        entry.owners.append(owner)
        scores = [t for _, _, t in entry.owners if t is not None]
        entry.cutoff = min(scores) if scores else None

    def scan(self, text: str) -> dict[int, Hit]:
        """Each rule's first match in ``text`` that no ``allow`` phrase of the same rule excuses."""
        matches: dict[int, list[Hit]] = defaultdict(list)
        allowed: dict[int, list[Hit]] = defaultdict(list)
        tokens = tokenize(text)
        for phrase, hit in self._phrase_hits(tokens):
            for rule, role, threshold in phrase.owners:
                if hit.score >= (100.0 if threshold is None else threshold):
                    (matches if role == "match" else allowed)[rule].append(hit)
        for index in self._patterns.matching(text):
            rule = self._pattern_owner[index]
            matches[rule].extend(Hit(s, e, 100.0) for s, e in self._patterns.spans(index, text))
        found = {}
        for rule, hits in matches.items():
            excuses = allowed.get(rule, ())
            for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
                if not any(a.start < hit.end and hit.start < a.end + ALLOW_REACH for a in excuses):
                    found[rule] = hit
                    break
        return found

    def _phrase_hits(self, tokens: list[Token]) -> list[tuple[_Phrase, Hit]]:
        votes: dict[tuple[int, int], int] = defaultdict(int)
        for i, token in enumerate(tokens):
            for word in self._lookups(token):
                for pid, pos in self._index.get(word, ()):
                    votes[(pid, i - pos)] += 1
        hits = []
        words = [t.norm for t in tokens]
        for (pid, start), count in votes.items():
            phrase = self._phrases[pid]
            # A split or merged word shifts the later words' estimate of the start by one: count neighbours too.
            if count + votes.get((pid, start - 1), 0) + votes.get((pid, start + 1), 0) >= phrase.need:
                span = _verify(phrase, words, start)
                if span is not None:
                    a, b, score = span
                    hits.append((phrase, Hit(tokens[a].start, tokens[b - 1].end, score)))
        return hits

    def _lookups(self, token: Token) -> tuple[str, ...]:
        """The indexed words this token may stand for: itself, and (if not indexed) similar rule words."""
        word = token.norm
        if word in self._index or self._word_cutoff is None or len(word) < MIN_FUZZY_LENGTH or token.placeholder:
            return (word,)
        similar = self._similar_cache.get(word)
        if similar is None:
            if len(self._similar_cache) >= MAX_CACHED_WORDS:
                self._similar_cache.clear()
            # The cache holds a pure function of the ruleset (word -> similar rule words), not call state.
            found = process.extract(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=self._word_cutoff,
                                    limit=4)
            similar = self._similar_cache[word] = tuple(choice for choice, _, _ in found)
        return (word, *similar)


def _anchors(words: tuple[str, ...]) -> set[str]:
    content = {w for w in words if w not in _STOPWORDS}
    return content or set(words)


def _verify(phrase: _Phrase, words: list[str], start: int) -> tuple[int, int, float] | None:
    """The best whole-word window at about ``start`` and its score, or None if no window scores high enough."""
    n = len(phrase.words)
    if start >= 0 and start + n <= len(words) and tuple(words[start:start + n]) == phrase.words:
        return start, start + n, 100.0
    if phrase.cutoff is None:
        return None
    # Most candidates are a shared word or two and nothing more: one cheap look at the window the votes point to
    # rules them out before the shifted windows are scored.
    a, b = max(0, start), min(len(words), start + n)
    if b <= a or not fuzz.ratio(phrase.text, " ".join(words[a:b]), score_cutoff=phrase.cutoff - PREFILTER_MARGIN):
        return None
    best: tuple[int, int, float] | None = None
    # ASR splits and merges words ("maybe" / "may be") and drops or adds small ones: try windows one word
    # shorter or longer, shifted by one.
    for a in range(max(0, start - 1), min(len(words), start + 2)):
        for b in range(a + max(1, n - 1), min(len(words), a + n + 1) + 1):
            score = fuzz.ratio(phrase.text, " ".join(words[a:b]), score_cutoff=phrase.cutoff)
            if score and (best is None or score > best[2]):
                best = (a, b, score)
    return best
