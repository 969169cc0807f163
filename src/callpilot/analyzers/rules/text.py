"""Words of an ASR segment with their character offsets, normalised the same way for phrases and segments."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "normalize", "tokenize"]

# A redaction placeholder ([CARD_NUMBER]) is one word; so is a word with inner apostrophes ("can't", "i'm").
_WORD = re.compile(r"\[[A-Za-z_]+\]|[^\W_]+(?:['\u2019][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019")


@dataclass(frozen=True, slots=True)
class Token:
    norm: str
    start: int
    end: int

    @property
    def placeholder(self) -> bool:
        return self.norm.startswith("[")


def normalize(word: str) -> str:
    """Lower case without apostrophes: ASR writes "can't", "cant" and "can t" for the same word."""
    return word.lower().translate(_APOSTROPHES)


def tokenize(text: str) -> list[Token]:
    return [Token(normalize(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
