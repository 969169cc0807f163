"""Context cues: the words near a number that say what it is (see cues.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from callpilot.analyzers.pii.entities import EntityType
from callpilot.core.yamlfile import read_yaml

__all__ = ["Cue", "CueBook", "default_cues"]

_WEAK = frozenset({"account", "card", "number", "cuenta", "code"})
_WORD = re.compile(r"[a-záéíóúñü']+(?:-[a-z]+)?")


@dataclass(frozen=True, slots=True)
class Cue:
    """The cue nearest before a position: an entity type, or ``None`` for a safe (ordinary-number) cue."""

    type: EntityType | None
    phrase: str
    distance: int
    """Words between the cue's end and the position."""


class CueBook:
    """Finds the nearest cue phrase before a position in a text, within ``window`` words."""

    def __init__(self, types: dict[EntityType, list[str]], safe: list[str], units: list[str],
                 not_names: Iterable[str] = ()) -> None:
        self._phrases: dict[tuple[str, ...], EntityType | None] = {}
        for entity_type, phrases in types.items():
            for phrase in phrases:
                self._phrases[tuple(phrase.lower().split())] = entity_type
        for phrase in safe:
            self._phrases.setdefault(tuple(phrase.lower().split()), None)
        self._longest = max(len(p) for p in self._phrases)
        self.units = frozenset(u.lower() for u in units)
        self.not_names = frozenset(w.lower() for w in not_names)
        self.opinion_words: frozenset[str] = frozenset()
        """Words that carry sentiment: not a name after "this is" / "my name is" ("this is ridiculous")."""

    def nearest(self, text: str, end: int | None = None, *, window: int = 8) -> Cue | None:
        """The cue ending nearest to ``end`` (default: the end of the text); longer phrases win ties."""
        words = _WORD.findall(text[:end].lower() if end is not None else text.lower())[-(window + self._longest):]
        for last in range(len(words) - 1, -1, -1):
            distance = len(words) - 1 - last
            if distance > window:
                break
            for size in range(min(self._longest, last + 1), 0, -1):
                phrase = tuple(words[last - size + 1:last + 1])
                if phrase in self._phrases:
                    return Cue(self._phrases[phrase], " ".join(phrase), distance)
        return None

    def strongest(self, text: str) -> Cue | None:
        """The most specific typed cue anywhere in ``text`` (for the other speaker's question): the longest
        phrase, a weak one ("account", "card", "number") only if there is no other, the last of equals."""
        words = _WORD.findall(text.lower())
        best: tuple[int, int, int] | None = None
        best_cue: Cue | None = None
        for last in range(len(words)):
            for size in range(1, min(self._longest, last + 1) + 1):
                phrase = tuple(words[last - size + 1:last + 1])
                entity_type = self._phrases.get(phrase)
                if entity_type is None:
                    continue
                rank = (0 if " ".join(phrase) in _WEAK else 1, size, last)
                if best is None or rank > best:
                    best, best_cue = rank, Cue(entity_type, " ".join(phrase), len(words) - 1 - last)
        return best_cue

    def unit_after(self, text: str, start: int) -> bool:
        """Whether the word right after ``start`` is a unit ("minutes", "dollars", "p m", ...)."""
        match = _WORD.search(text, start)
        if not match or text[start:match.start()].strip() != "":
            return False
        word = match.group(0).lower()
        if word in ("a", "p"):  # "eleven forty two p m"
            nxt = _WORD.search(text, match.end())
            return bool(nxt and nxt.group(0).lower() == "m" and text[match.end():nxt.start()].strip() in ("", "."))
        return word in self.units

    def mentions(self, text: str) -> set[EntityType]:
        """Every entity type some cue of which occurs anywhere in ``text``."""
        words = _WORD.findall(text.lower())
        found: set[EntityType] = set()
        for i in range(len(words)):
            for size in range(1, self._longest + 1):
                entity_type = self._phrases.get(tuple(words[i:i + size]))
                if entity_type is not None:
                    found.add(entity_type)
        return found


@cache
def default_cues(path: Path | None = None) -> CueBook:
    """The cues shipped in cues.yaml (or another file of the same shape)."""
    data = read_yaml(path or Path(__file__).with_name("cues.yaml"), "PII cues file")
    types = {EntityType(name): list(phrases) for name, phrases in data["types"].items()}
    book = CueBook(types, list(data["safe"]), list(data["units"]), list(data.get("not_names", [])))
    book.opinion_words = frozenset(_opinion_words())
    return book


def _opinion_words() -> list[str]:
    """VADER's lexicon: words that carry sentiment ("ridiculous", "great") are never names after a cue."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return [w for w in SentimentIntensityAnalyzer().lexicon if w.isalpha()]
