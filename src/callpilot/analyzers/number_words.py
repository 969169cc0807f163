"""English number words, shared by the readers of dictated digits (PII) and of quantities (context)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TEENS", "TENS", "UNITS", "WORD_TOKEN", "Token", "tokenize"]

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
WORD_TOKEN = re.compile(r"[A-Za-z]+|\d+")
"""A word or a digit string: the tokens both readers walk over."""


@dataclass(frozen=True, slots=True)
class Token:
    """A lower-cased word or digit string and its character span in the text."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Words and digit strings ("3rd" gives "3" and "rd"; the ordinal reader joins them back)."""
    return [Token(m.group(0).lower(), m.start(), m.end()) for m in WORD_TOKEN.finditer(text)]
