"""Quantities and ordinals as callers say them: "two hundred and fifty", "one thousand", "twenty third".

:func:`callpilot.analyzers.pii.spoken.find_digit_runs` reads digit-by-digit dictation ("four oh one"); amounts
and dates are said as quantities instead, which that reader would turn into digit strings ("two thousand" is
not "21000"). Both work on the same word tokens so that entity spans land on word boundaries.
"""

from __future__ import annotations

import re

from callpilot.analyzers.number_words import TEENS as _TEENS
from callpilot.analyzers.number_words import TENS as _TENS
from callpilot.analyzers.number_words import UNITS as _UNITS
from callpilot.analyzers.number_words import Token, tokenize

__all__ = ["Token", "read_ordinal", "read_quantity", "tokenize"]

_SCALES = {"thousand": 1000, "million": 1_000_000, "grand": 1000}
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9}
_ORDINAL_TEENS = {"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
                  "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
                  "twentieth": 20, "thirtieth": 30}
_ORDINAL_DIGITS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")


def read_quantity(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """The quantity said from token ``i`` on, and the index after it; None if none starts there.

    Stops where a new number would start, so "eighty four ninety nine" reads as 84 (then 99 from index 2).
    """
    total, group, last, j = 0, 0, "", i
    while j < len(tokens):
        word = tokens[j].text
        if word.isdigit() and last == "":
            group, last = int(word), "digits"
        elif word in _UNITS and last in ("", "tens", "hundred", "and", "scale"):
            group, last = group + _UNITS[word], "unit"
        elif (word in _TEENS or word in _TENS) and last in ("", "hundred", "and", "scale"):
            group, last = group + _TEENS.get(word, 0) + _TENS.get(word, 0), ("tens" if word in _TENS else "teen")
        elif word == "hundred" and last in ("unit", "a", "digits", "teen") and group < 100:
            group, last = max(group, 1) * 100, "hundred"
        elif word in _SCALES and last not in ("", "scale", "and"):
            total, group, last = total + max(group, 1) * _SCALES[word], 0, "scale"
        elif word == "a" and last == "" and j + 1 < len(tokens) and tokens[j + 1].text in ("hundred", "thousand"):
            last = "a"
        elif word == "and" and last in ("hundred", "scale") and j + 1 < len(tokens) and _is_number_word(tokens[j + 1]):
            last = "and"
        else:
            break
        j += 1
    if last in ("", "a", "and"):
        return None
    return total + group, j


def _is_number_word(token: Token) -> bool:
    return token.text in _UNITS or token.text in _TEENS or token.text in _TENS


def read_ordinal(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """A day-of-month style ordinal from token ``i``: "third", "twenty first", "3rd", "21" -> (3|21, next)."""
    word = tokens[i].text
    if word.isdigit():
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.start == tokens[i].end and _ORDINAL_DIGITS.fullmatch(word + nxt.text):
            return int(word), i + 2
        return (int(word), i + 1) if len(word) <= 2 else None
    if word in _ORDINAL_UNITS:
        return _ORDINAL_UNITS[word], i + 1
    if word in _ORDINAL_TEENS:
        return _ORDINAL_TEENS[word], i + 1
    if word in _TENS and i + 1 < len(tokens) and tokens[i + 1].text in _ORDINAL_UNITS:
        return _TENS[word] + _ORDINAL_UNITS[tokens[i + 1].text], i + 2
    return None
