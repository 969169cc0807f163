"""The call-language lexicon: multi-word expressions of complaint, praise and formula, and word overrides.

VADER scores single words written for social media; call transcripts carry their feeling in expressions
("charged me twice", "third time i have called", "that did the trick") and in formulae that mean nothing
("thank you for calling", "sorry for the wait"). The lexicon is data (``call_lexicon.yaml``); this module
loads and checks it and finds its phrases in tokenized text.

Phrase syntax, one phrase a string of space-separated slots, matched against whole tokens:

* ``word``: that token;
* ``(a|b c|d)``: any one of these (multi-word alternatives allowed); ``(a|b)?`` or ``word?``: optional;
* ``*``: a gap of up to ``MAX_GAP`` arbitrary tokens (never first or last).

Matching is a bounded backtracking over slots (at most ``MAX_GAP + 1`` choices per gap, phrases of a few
slots), so its cost is linear in the text length; no regular expressions are involved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml

__all__ = ["MAX_GAP", "CallLexicon", "Phrase", "PhraseMatch", "fold", "lexicon_from_data", "load_lexicon",
           "parse_phrase"]

MAX_GAP = 3
_MAX_VALENCE = 4.0  # VADER's scale: its strongest words are about +-3.5
_MAX_SLOTS = 12
_SLOT = re.compile(r"\([^()]*\)\??|[^\s()]+")  # "(a b|c)?" or one word, "word?" or "*"


@dataclass(frozen=True, slots=True)
class _Slot:
    choices: tuple[tuple[str, ...], ...]  # token sequences this slot accepts; empty for a gap
    optional: bool = False

    @property
    def is_gap(self) -> bool:
        return not self.choices


@dataclass(frozen=True, slots=True)
class Phrase:
    """One expression with its valence on VADER's scale (0 masks the words: a formula that carries no feeling)."""

    text: str
    valence: float
    group: str
    slots: tuple[_Slot, ...]

    def match_at(self, tokens: list[str], i: int) -> int:
        """Index just past the match starting at ``tokens[i]``, or -1."""
        return _match(tokens, i, self.slots, 0)


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    phrase: Phrase
    start: int  # token indexes, end exclusive
    end: int


def _match(tokens: list[str], i: int, slots: tuple[_Slot, ...], k: int) -> int:
    if k == len(slots):
        return i
    slot = slots[k]
    if slot.is_gap:
        for j in range(i, min(i + MAX_GAP, len(tokens)) + 1):  # shortest gap first
            end = _match(tokens, j, slots, k + 1)
            if end >= 0:
                return end
        return -1
    for choice in slot.choices:
        if tuple(tokens[i:i + len(choice)]) == choice:
            end = _match(tokens, i + len(choice), slots, k + 1)
            if end >= 0:
                return end
    return _match(tokens, i, slots, k + 1) if slot.optional else -1


@dataclass(frozen=True, slots=True)
class CallLexicon:
    """Phrases indexed by the tokens they can start with, plus single-word valence overrides for VADER."""

    phrases: tuple[Phrase, ...]
    words: Mapping[str, float]
    _by_first: Mapping[str, tuple[Phrase, ...]]

    @classmethod
    def build(cls, phrases: Iterable[Phrase], words: Mapping[str, float]) -> CallLexicon:
        phrases = tuple(phrases)
        index: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            for word in _first_words(phrase.slots):
                index.setdefault(word, []).append(phrase)
        return cls(phrases, dict(words), {w: tuple(p) for w, p in index.items()})

    def find(self, tokens: list[str]) -> list[PhraseMatch]:
        """Non-overlapping matches, left to right; at one position the longest (then strongest) phrase wins."""
        found: list[PhraseMatch] = []
        i = 0
        while i < len(tokens):
            best: PhraseMatch | None = None
            for phrase in self._by_first.get(tokens[i], ()):
                end = phrase.match_at(tokens, i)
                if end > i and (best is None or (end, abs(phrase.valence)) > (best.end, abs(best.phrase.valence))):
                    best = PhraseMatch(phrase, i, end)
            if best is None:
                i += 1
            else:
                found.append(best)
                i = best.end
        return found


def _first_words(slots: tuple[_Slot, ...]) -> set[str]:
    """Tokens a match can start with: the first slot's, and the next ones' while slots are optional."""
    words: set[str] = set()
    for slot in slots:
        words |= {choice[0] for choice in slot.choices}
        if not slot.optional:
            break
    return words


def fold(text: str) -> str:
    """Lower case without accents ("Pésimo" -> "pesimo"): ASR output and typists disagree about accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_phrase(text: str, valence: float, group: str) -> Phrase:
    """Parse one phrase; a malformed one raises ConfigError naming it."""
    slots: list[_Slot] = []
    for raw in _SLOT.findall(fold(text)):
        optional = raw.endswith("?")
        body = raw[:-1] if optional else raw
        if body == "*":
            if optional:
                raise ConfigError(f"call lexicon: phrase {text!r} in {group!r}: a gap cannot be optional")
            slots.append(_Slot(()))
            continue
        alternatives = body[1:-1].split("|") if body.startswith("(") else [body]
        choices = tuple(tuple(a.split()) for a in alternatives)
        if not all(choice and all(w.isalnum() for w in choice) for choice in choices):
            raise ConfigError(f"call lexicon: phrase {text!r} in {group!r}: bad slot {raw!r} "
                              "(use words, (a b|c), word?, (a|b)? or *)")
        slots.append(_Slot(choices, optional))
    if "".join(_SLOT.findall(fold(text))).replace(" ", "") != fold(text).replace(" ", ""):
        raise ConfigError(f"call lexicon: phrase {text!r} in {group!r} has unbalanced parentheses")
    if not slots or len(slots) > _MAX_SLOTS:
        raise ConfigError(f"call lexicon: phrase {text!r} in {group!r} must have 1 to {_MAX_SLOTS} slots")
    if slots[0].is_gap or slots[-1].is_gap:
        raise ConfigError(f"call lexicon: phrase {text!r} in {group!r} cannot start or end with a gap")
    if all(s.optional for s in slots if not s.is_gap):
        raise ConfigError(f"call lexicon: phrase {text!r} in {group!r} needs at least one required word")
    return Phrase(text, valence, group, tuple(slots))


def _valence(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not -_MAX_VALENCE <= value <= _MAX_VALENCE:
        raise ConfigError(f"call lexicon: {where}: valence must be a number in [-{_MAX_VALENCE}, {_MAX_VALENCE}], "
                          f"got {value!r}")
    return float(value)


def _parse_groups(groups: Any) -> list[Phrase]:
    if not isinstance(groups, list):
        raise ConfigError("call lexicon: 'phrases' must be a list of groups")
    phrases: list[Phrase] = []
    seen: dict[str, str] = {}
    for n, group in enumerate(groups):
        if not isinstance(group, dict) or set(group) - {"group", "valence", "phrases"} or "phrases" not in group:
            raise ConfigError(f"call lexicon: phrase group #{n + 1} needs 'group', 'valence' and 'phrases' only")
        name = str(group.get("group", f"#{n + 1}"))
        valence = _valence(group.get("valence"), f"group {name!r}")
        if not isinstance(group["phrases"], list) or not group["phrases"]:
            raise ConfigError(f"call lexicon: group {name!r}: 'phrases' must be a non-empty list")
        for text in group["phrases"]:
            if not isinstance(text, str):
                raise ConfigError(f"call lexicon: group {name!r}: phrase {text!r} is not a string")
            key = " ".join(fold(text).split())
            if key in seen:
                raise ConfigError(f"call lexicon: phrase {text!r} is listed twice ({seen[key]!r} and {name!r})")
            seen[key] = name
            phrases.append(parse_phrase(key, valence, name))
    return phrases


def _parse_words(words: Any) -> dict[str, float]:
    if not isinstance(words, dict):
        raise ConfigError("call lexicon: 'words' must map words to valences")
    parsed = {}
    for word, value in words.items():
        if not isinstance(word, str) or not fold(word).isalnum():
            raise ConfigError(f"call lexicon: word override {word!r} must be a single word")
        parsed[fold(word)] = _valence(value, f"word {word!r}")
    return parsed


def lexicon_from_data(data: Any, *, source: str = "call lexicon") -> CallLexicon:
    """Check and build a lexicon from parsed YAML; anything malformed raises ConfigError naming it."""
    phrases, words = _parse(data, source)
    return CallLexicon.build(phrases, words)


def _parse(data: Any, source: str) -> tuple[list[Phrase], dict[str, float]]:
    if not isinstance(data, dict) or set(data) - {"phrases", "words"}:
        raise ConfigError(f"{source}: expected a mapping with 'phrases' and 'words'")
    return _parse_groups(data.get("phrases", [])), _parse_words(data.get("words", {}))


def load_lexicon(path: str | Path | None = None, *, extra: str | Path | None = None) -> CallLexicon:
    """The packaged lexicon (or ``path``), with ``extra``'s phrases and words added on top (extra wins)."""
    base_path = Path(path) if path else Path(__file__).with_name("data") / "call_lexicon.yaml"
    phrases, words = _parse(_read(base_path), f"call lexicon {base_path}")
    if extra is not None:
        more_phrases, more_words = _parse(_read(Path(extra)), f"call lexicon {extra}")
        replaced = {p.text for p in more_phrases}
        phrases = [p for p in phrases if p.text not in replaced] + more_phrases
        words = {**words, **more_words}
    return CallLexicon.build(phrases, words)


def _read(path: Path) -> Any:
    return read_yaml(path, "call lexicon")
