"""Phrase sets per language (YAML data files) and the matcher that finds them in ASR text.

A file holds, for one language, the words that identify it (stopwords), negations, fillers, question openers and
one phrase category per signal (``hold``, ``human_requested``, ``confusion``, ``frustration``). A category has:

- ``phrases``: literal phrases, matched on word boundaries and, from ``fuzzy_min_chars`` characters on, fuzzily
  (rapidfuzz) so that ASR slips ("super visor", "ridiculus") still match;
- ``patterns``: phrases with ``{slot}`` / ``{slot?}`` (optional) placeholders filled from the file's ``slots``,
  matched exactly; they say "talk to a supervisor" in its many forms without listing each one;
- ``short``: phrases that count only when they are (nearly) the whole segment, like "representative" said to
  an IVR, so that "our sales representative called" does not.

An entry is a string or ``{text: ..., weight: ...}`` (the weight feeds the frustration level). Each category's
exact forms compile to one regular expression of literal alternatives (no nested quantifiers, so matching stays
linear in the text). A bad file fails at load time with a message naming the file and the bad item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rapidfuzz import fuzz

from callpilot.analyzers.signals.text import Text, normalize_phrase
from callpilot.core.errors import ConfigError

__all__ = ["CATEGORIES", "DEFAULT_FILES", "LanguagePack", "PhraseMatch", "PhraseMatcher", "detect_language",
           "load_pack", "non_overlapping"]

CATEGORIES = ("hold", "human_requested", "confusion", "frustration")
DEFAULT_FILES = (Path(__file__).with_name("en.yaml"), Path(__file__).with_name("es.yaml"))
_SLOT = re.compile(r"^\{([a-z_]+)(\??)\}$")


class _WordsLoader(yaml.SafeLoader):
    """YAML without YAML 1.1's booleans: in a phrase file "no", "yes", "on" and "off" are words."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0, le=10)


class _Category(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phrases: list[str | _Entry] = Field(default_factory=list)
    patterns: list[str | _Entry] = Field(default_factory=list)
    short: list[str | _Entry] = Field(default_factory=list)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str = Field(pattern=r"^[a-z]{2,3}$")
    stopwords: list[str] = Field(min_length=1)
    negations: list[str] = Field(default_factory=list)
    fillers: list[str] = Field(default_factory=list)
    question_openers: list[str] = Field(min_length=1)
    question_exclusions: list[str] = Field(default_factory=list)
    suffixes: list[str] = Field(default_factory=list)
    slots: dict[str, list[str]] = Field(default_factory=dict)
    hold: _Category = Field(default_factory=_Category)
    human_requested: _Category = Field(default_factory=_Category)
    confusion: _Category = Field(default_factory=_Category)
    frustration: _Category = Field(default_factory=_Category)


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    first: int  # token indices, inclusive
    last: int
    score: float  # 1.0 for an exact match, the fuzzy ratio / 100 otherwise
    weight: float
    phrase: str
    language: str


@dataclass(frozen=True, slots=True)
class _Literal:
    norm: str
    weight: float
    tokens: int
    negated: bool


class PhraseMatcher:
    """One category of one language: finds its phrases in a segment, exactly or (for long phrases) fuzzily."""

    def __init__(self, language: str, exact: list[tuple[str, float]], literals: list[_Literal],
                 short: list[_Literal], *, negations: frozenset[str], fuzzy_threshold: float,
                 fuzzy_min_chars: int, short_max_tokens: int) -> None:
        self.language, self.negations = language, negations
        self.fuzzy_threshold, self.short_max_tokens = fuzzy_threshold, short_max_tokens
        self._weights = [weight for _, weight in exact]
        self._exact = _compile([source for source, _ in exact])
        self._short_exact = _compile([re.escape(s.norm) for s in short])
        self._short = short
        self._fuzzy = [lit for lit in literals if len(lit.norm) >= fuzzy_min_chars]
        self._fuzzy_short = [lit for lit in short if len(lit.norm) >= fuzzy_min_chars]

    def find_all(self, text: Text) -> list[PhraseMatch]:
        """Non-overlapping matches, best first; empty for an empty text."""
        if not text.tokens:
            return []
        found = self._exact_matches(text)
        candidates = self._fuzzy
        short = len(text.tokens) <= self.short_max_tokens
        if short:
            found += self._short_matches(text)
            candidates = candidates + self._fuzzy_short
        exact_phrases = {m.phrase for m in found}
        found += [m for lit in candidates if lit.norm not in exact_phrases
                  for m in [self._fuzzy_match(text, lit)] if m is not None]
        if short:  # a short phrase must be (nearly) the whole segment: "what?" but not "what is this charge"
            shorts = {lit.norm for lit in self._short}
            found = [m for m in found if m.phrase not in shorts or m.last - m.first + 2 >= len(text.tokens)]
        return non_overlapping(found)

    def _exact_matches(self, text: Text) -> list[PhraseMatch]:
        if self._exact is None:
            return []
        found = []
        for m in self._exact.finditer(text.norm):
            weight = self._weights[int(m.lastgroup[1:]) if m.lastgroup else 0]
            found.append(PhraseMatch(text.token_at(m.start()), text.token_at(m.end() - 1), 1.0, weight, m.group(),
                                     self.language))
        return found

    def _short_matches(self, text: Text) -> list[PhraseMatch]:
        if self._short_exact is None:
            return []
        return [PhraseMatch(text.token_at(m.start()), text.token_at(m.end() - 1), 1.0,
                            self._short[int(m.lastgroup[1:]) if m.lastgroup else 0].weight, m.group(), self.language)
                for m in self._short_exact.finditer(text.norm)]

    def _fuzzy_match(self, text: Text, lit: _Literal) -> PhraseMatch | None:
        hit = fuzz.partial_ratio_alignment(lit.norm, text.norm, score_cutoff=self.fuzzy_threshold)
        if hit is None:
            return None
        first, last = text.token_at(hit.dest_start), text.token_at(max(hit.dest_start, hit.dest_end - 1))
        # The alignment may cut words; try the snapped window and the window one word shorter at either end.
        best: tuple[float, int, int] | None = None
        for a, b in ((first, last), (first + 1, last), (first, last - 1)):
            if a > b or abs((b - a + 1) - lit.tokens) > 1:
                continue
            window = text.window(a, b)
            if lit.negated != any(t in self.negations for t in text.tokens[a:b + 1]):
                continue  # "i do understand" is not "i don't understand", however close the letters
            score = fuzz.ratio(lit.norm, window)
            if score >= self.fuzzy_threshold and (best is None or score > best[0]):
                best = (score, a, b)
        if best is None:
            return None
        return PhraseMatch(best[1], best[2], round(best[0] / 100, 3), lit.weight, lit.norm, self.language)


def _compile(sources: list[str]) -> re.Pattern[str] | None:
    if not sources:
        return None
    # Tokens in Text.norm are separated by single spaces, so a space or an end is a word boundary.
    alternatives = "|".join(f"(?P<g{i}>{source})" for i, source in enumerate(sources))
    return re.compile(f"(?<![^ ])(?:{alternatives})(?![^ ])")


def non_overlapping(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """The best matches that do not share a token, best (then longest, then first) first."""
    kept: list[PhraseMatch] = []
    for m in sorted(matches, key=lambda m: (-m.score, -(m.last - m.first), m.first)):
        if all(m.last < k.first or m.first > k.last for k in kept):
            kept.append(m)
    return kept


@dataclass(frozen=True)
class LanguagePack:
    """Everything one language file says, compiled."""

    code: str
    source: str
    stopwords: frozenset[str]
    negations: frozenset[str]
    fillers: frozenset[str]
    openers: frozenset[tuple[str, ...]]
    exclusions: tuple[tuple[str, ...], ...]
    suffixes: tuple[str, ...]
    categories: dict[str, PhraseMatcher]


def load_pack(path: str | Path, *, fuzzy_threshold: float, fuzzy_min_chars: int,
              short_max_tokens: int) -> LanguagePack:
    """Read and compile one language file; any problem is a ConfigError naming the file and the item."""
    path = Path(path)
    try:
        raw: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=_WordsLoader)
    except OSError as exc:
        raise ConfigError(f"signals phrase file {path}: cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"signals phrase file {path}: not valid YAML: {exc}") from exc
    try:
        data = _File.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']} (got {e['input']!r:.60})"
                             for e in exc.errors())
        raise ConfigError(f"signals phrase file {path}: {problems}") from exc
    words = _word_set(path, "stopwords", data.stopwords)
    negations = _word_set(path, "negations", data.negations)
    slots = {name: _slot_values(path, name, values) for name, values in data.slots.items()}
    categories = {}
    for name in CATEGORIES:
        category: _Category = getattr(data, name)
        exact, literals = _exact_forms(path, name, category, slots, negations)
        short = [_literal(path, f"{name}.short", e, negations) for e in category.short]
        categories[name] = PhraseMatcher(data.language, exact, literals, short, negations=negations,
                                         fuzzy_threshold=fuzzy_threshold, fuzzy_min_chars=fuzzy_min_chars,
                                         short_max_tokens=short_max_tokens)
    return LanguagePack(
        code=data.language, source=str(path), stopwords=words, negations=negations,
        fillers=_word_set(path, "fillers", data.fillers),
        openers=frozenset(_tokens(path, "question_openers", o) for o in data.question_openers),
        exclusions=tuple(_tokens(path, "question_exclusions", e) for e in data.question_exclusions),
        suffixes=tuple(sorted({normalize_phrase(s) for s in data.suffixes if normalize_phrase(s)}, key=len,
                              reverse=True)),
        categories=categories,
    )


def _tokens(path: Path, where: str, phrase: str) -> tuple[str, ...]:
    norm = normalize_phrase(phrase)
    if not norm:
        raise ConfigError(f"signals phrase file {path}: {where}: {phrase!r} has no words")
    return tuple(norm.split(" "))


def _word_set(path: Path, where: str, words: list[str]) -> frozenset[str]:
    return frozenset(" ".join(_tokens(path, where, w)) for w in words)


def _slot_values(path: Path, name: str, values: list[str]) -> str:
    if not values:
        raise ConfigError(f"signals phrase file {path}: slot {name!r} is empty")
    norms = sorted({" ".join(_tokens(path, f"slots.{name}", v)) for v in values}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(n) for n in norms) + ")"


def _literal(path: Path, where: str, entry: str | _Entry, negations: frozenset[str]) -> _Literal:
    text, weight = (entry, 1.0) if isinstance(entry, str) else (entry.text, entry.weight)
    tokens = _tokens(path, where, text)
    return _Literal(" ".join(tokens), weight, len(tokens), any(t in negations for t in tokens))


def _exact_forms(path: Path, name: str, category: _Category, slots: dict[str, str], negations: frozenset[str]
                 ) -> tuple[list[tuple[str, float]], list[_Literal]]:
    """(regex source, weight) per pattern then per literal (longest first), and the literals."""
    exact = []
    for entry in category.patterns:
        text, weight = (entry, 1.0) if isinstance(entry, str) else (entry.text, entry.weight)
        exact.append((_pattern(path, f"{name}.patterns", text, slots), weight))
    literals = sorted((_literal(path, f"{name}.phrases", e, negations) for e in category.phrases),
                      key=lambda lit: len(lit.norm), reverse=True)
    exact += [(re.escape(lit.norm), lit.weight) for lit in literals]
    return exact, literals


def _pattern(path: Path, where: str, pattern: str, slots: dict[str, str]) -> str:
    """``"{want} {talk} to {det?} {target}"`` -> a regex over normalized text."""
    parts: list[tuple[str, bool]] = []
    for word in pattern.split():
        slot = _SLOT.match(word)
        if slot is None:
            literal = normalize_phrase(word)
            if not literal:
                raise ConfigError(f"signals phrase file {path}: {where}: {pattern!r}: {word!r} is not a word")
            parts.append((re.escape(literal), False))
        elif slot.group(1) not in slots:
            raise ConfigError(f"signals phrase file {path}: {where}: {pattern!r} uses unknown slot {slot.group(1)!r}")
        else:
            parts.append((slots[slot.group(1)], slot.group(2) == "?"))
    if not parts or parts[-1][1]:
        raise ConfigError(f"signals phrase file {path}: {where}: {pattern!r} must end with a required word or slot")
    return "".join(f"(?:{src} )?" if optional else f"{src} " for src, optional in parts[:-1]) + parts[-1][0]


def detect_language(text: Text, packs: list[LanguagePack], fallback: str) -> str:
    """The language whose stopwords cover more of the segment's tokens; ``fallback`` on a tie."""
    best, best_hits, tie = fallback, -1, False
    for pack in packs:
        hits = sum(1 for t in text.tokens if t in pack.stopwords)
        if hits > best_hits:
            best, best_hits, tie = pack.code, hits, False
        elif hits == best_hits:
            tie = True
    return fallback if tie or best_hits <= 0 else best
