"""Segment text as normalized tokens that remember where they came from.

ASR text is lower case with little punctuation; phrase files are written by people. Both are reduced to the same
form (case-folded, accents and apostrophes dropped, one space between tokens) so a phrase matches either way, and
every token keeps its span in the original text so evidence can point at it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Text", "normalize_phrase", "normalize_token"]

# A redaction placeholder ([CARD_NUMBER]) is one token; words are runs of letters/digits, with inner apostrophes.
_TOKEN = re.compile(r"\[[A-Za-z_]+\]|[^\W_]+(?:['’][^\W_]+)*")
_BOUNDARY = re.compile(r"[.?!;,:]")


@lru_cache(maxsize=8192)
def normalize_token(token: str) -> str:
    """Case-fold, strip accents and apostrophes: "Don't" -> "dont", "Cómo" -> "como"."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c not in "'’")


def normalize_phrase(phrase: str) -> str:
    """A phrase in the form segment texts are matched in."""
    return " ".join(t for t in (normalize_token(m.group()) for m in _TOKEN.finditer(phrase)) if t)


@dataclass(frozen=True, slots=True)
class Text:
    """A segment's tokens: normalized forms, their spans in ``raw``, and the normalized string ``norm``."""

    raw: str
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    norm: str
    starts: tuple[int, ...]  # where each token starts in ``norm``

    @classmethod
    def of(cls, raw: str) -> Text:
        tokens: list[str] = []
        spans: list[tuple[int, int]] = []
        starts: list[int] = []
        pos = 0
        for match in _TOKEN.finditer(raw):
            token = normalize_token(match.group())
            if token:  # a token of marks alone normalizes to nothing
                tokens.append(token)
                spans.append(match.span())
                starts.append(pos)
                pos += len(token) + 1
        return cls(raw, tuple(tokens), tuple(spans), " ".join(tokens), tuple(starts))

    def token_at(self, norm_offset: int) -> int:
        """Index of the token that covers (or precedes) an offset in ``norm``."""
        return max(0, bisect_right(self.starts, norm_offset) - 1)

    def raw_span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets in ``raw`` of tokens ``first``..``last`` inclusive."""
        return self.spans[first][0], self.spans[last][1]

    def excerpt(self, first: int, last: int) -> str:
        start, end = self.raw_span(first, last)
        return self.raw[start:end]

    def window(self, first: int, last: int) -> str:
        """Tokens ``first``..``last`` as a normalized string."""
        return " ".join(self.tokens[first:last + 1])

    def breaks_before(self, index: int) -> str:
        """The punctuation between token ``index - 1`` and token ``index`` (or after the last token)."""
        begin = self.spans[index - 1][1] if index > 0 else 0
        end = self.spans[index][0] if index < len(self.spans) else len(self.raw)
        return "".join(_BOUNDARY.findall(self.raw, begin, end))
