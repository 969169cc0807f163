"""Digit sequences as callers say them and speech engines write them.

"four one one one", "oh" for zero, "double five", "triple seven", "forty one eleven", "4 one 1 1" and
"five five five, two one two" all carry digits that a written-text recognizer misses. :func:`find_digit_runs`
turns each maximal stretch of digit-like words into its digit string and the character span it covers in the
original text, so a recognizer can test the digits (length, Luhn, context) and the redactor can cover exactly
the words that carried them.

Hand-written rather than a library: number-parsing packages (word2number, text2num) read quantities ("two
hundred" -> 200) but not digit-by-digit dictation with "oh", "double" and "triple", and give no source spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from callpilot.analyzers.number_words import TEENS as _TEENS
from callpilot.analyzers.number_words import TENS as _TENS
from callpilot.analyzers.number_words import UNITS as _UNITS
from callpilot.analyzers.number_words import Token, tokenize

__all__ = ["DigitRun", "find_digit_runs"]

_ZERO_LETTERS = {"oh", "o"}  # zero only next to other digit words: "oh I see" is no digit
_REPEATS = {"double": 2, "triple": 3}
_INNER_WORDS = {"uh", "um", "er", "slash", "dash", "hyphen"}  # may stand between two digits of one run
# What may stand between two digit words of one run: spaces, and the punctuation engines insert in dictation.
_GAP = re.compile(r"[\s,.\-/()]*")


@dataclass(frozen=True, slots=True)
class DigitRun:
    """``digits`` as said between characters ``start`` and ``end`` of the text, from ``words`` words."""

    digits: str
    start: int
    end: int
    words: int


def find_digit_runs(text: str) -> list[DigitRun]:
    """Every maximal run of digit words and digit strings in ``text``, in order."""
    tokens = tokenize(text)
    runs: list[DigitRun] = []
    i = 0
    while i < len(tokens):
        run = _read_run(text, tokens, i)
        if run is None:
            i += 1
            continue
        digit_run, i = run
        runs.append(digit_run)
    return runs


def _read_run(text: str, tokens: list[Token], first: int) -> tuple[DigitRun, int] | None:
    """The run starting at token ``first`` and the index after it, or None if no run starts there."""
    digits: list[str] = []
    i, last = first, first
    while i < len(tokens):
        if i > first and not _GAP.fullmatch(text, tokens[i - 1].end, tokens[i].start):
            break
        if digits and tokens[i].text.lower() in _INNER_WORDS and i + 1 < len(tokens) \
                and _GAP.fullmatch(text, tokens[i].end, tokens[i + 1].start) \
                and _read_number(tokens, i + 1, zero_allowed=True) is not None:
            i += 1  # "oh nine slash twenty nine", "five five five uh one two": the run goes on
            continue
        step = _read_number(tokens, i, zero_allowed=bool(digits) or _next_is_digit(tokens, i))
        if step is None:
            break
        value, i = step
        digits.append(value)
        last = i - 1
    if not digits:
        return None
    return DigitRun("".join(digits), tokens[first].start, tokens[last].end, last - first + 1), i


def _next_is_digit(tokens: list[Token], i: int) -> bool:
    return i + 1 < len(tokens) and _read_number(tokens, i + 1, zero_allowed=False) is not None


def _read_number(tokens: list[Token], i: int, *, zero_allowed: bool) -> tuple[str, int] | None:
    """One spoken number starting at token ``i``: its digits and the index after it."""
    word = tokens[i].text.lower()
    if word.isdigit():
        return word, i + 1
    if word in _ZERO_LETTERS:
        return ("0", i + 1) if zero_allowed else None
    if word in _REPEATS and i + 1 < len(tokens):
        nxt = tokens[i + 1].text.lower()
        digit = str(_UNITS[nxt]) if nxt in _UNITS else ("0" if nxt in _ZERO_LETTERS else None)
        if digit is None and nxt.isdigit() and len(nxt) == 1:
            digit = nxt
        return (digit * _REPEATS[word], i + 2) if digit is not None else None
    if word in _UNITS:
        if i + 1 < len(tokens) and tokens[i + 1].text.lower() == "hundred":
            return _hundreds(tokens, i)
        return str(_UNITS[word]), i + 1
    if word in _TEENS:
        return str(_TEENS[word]), i + 1
    if word in _TENS:
        if i + 1 < len(tokens) and tokens[i + 1].text.lower() in _UNITS and tokens[i + 1].text.lower() != "zero":
            return str(_TENS[word] + _UNITS[tokens[i + 1].text.lower()]), i + 2
        return str(_TENS[word]), i + 1
    return None


def _hundreds(tokens: list[Token], i: int) -> tuple[str, int]:
    """"four hundred", "four hundred five", "four hundred twenty one" -> 400, 405, 421."""
    value, j = _UNITS[tokens[i].text.lower()] * 100, i + 2
    j_and = j + 1 if j < len(tokens) and tokens[j].text.lower() == "and" else j  # "four hundred and five"
    if j_and < len(tokens):
        rest = _read_number(tokens, j_and, zero_allowed=False)
        word = tokens[j_and].text.lower()
        if rest is not None and (word in _UNITS or word in _TEENS or word in _TENS):
            return str(value + int(rest[0])), rest[1]
    return str(value), j
