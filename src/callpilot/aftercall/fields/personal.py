"""Personal values as a CRM wants them: the vault holds what was said ("five five five two one two ...",
"j dot rivera at example dot com"); the field holds that value normalised ("5552120142", "j.rivera@example.com"),
sealed again. The clear value exists only in memory, inside this function."""

from __future__ import annotations

import re

from callpilot.aftercall.fields.schema import FieldType
from callpilot.analyzers.context.spoken_numbers import read_quantity
from callpilot.analyzers.number_words import UNITS, Token
from callpilot.analyzers.pii.spoken import find_digit_runs
from callpilot.analyzers.pii.vault import Vault

__all__ = ["looks_complete", "normalize_personal", "reseal_normalized"]

_DICTATION = re.compile(r"\b(?:all together|altogether|all one word|one word|no spaces?|all lower ?case|lower ?case)\b")
_JOINERS = {"dot": ".", "period": ".", "at": "@", "underscore": "_", "dash": "-", "hyphen": "-", "minus": "-",
            "plus": "+"}


def normalize_personal(kind: FieldType, raw: str) -> str:
    if kind is FieldType.PHONE:
        digits = "".join(run.digits for run in find_digit_runs(raw)) or re.sub(r"\D", "", raw)
        return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if kind is FieldType.EMAIL:
        text = raw.strip().lower()
        if "@" in text and " " not in text:
            return text
        text = _DICTATION.sub(" ", text)
        words = re.findall(r"[a-z0-9]+|[@._+-]", text)
        return "".join(_JOINERS.get(word, word) for word in _digits(words))
    return " ".join(raw.split())


def _digits(words: list[str]) -> list[str]:
    """Number words as digits: "eighty eight" -> "88", "seven zero" -> "70", "double five" -> "55"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        tokens = [Token(w, 0, 0) for w in words[i:]]
        read = read_quantity(tokens, 0)
        if words[i] == "double" and i + 1 < len(words) and words[i + 1] in UNITS:
            out.append(str(UNITS[words[i + 1]]) * 2)
            i += 2
        elif words[i] in UNITS:
            out.append(str(UNITS[words[i]]))
            i += 1
        elif read is not None and not words[i].isdigit():
            out.append(str(read[0]))
            i += read[1]
        else:
            out.append(words[i])
            i += 1
    return out


def looks_complete(kind: FieldType, value: str) -> bool:
    """A phone number of 7 to 15 digits; an email with a local part and a dotted domain."""
    if kind is FieldType.PHONE:
        return value.isdigit() and 7 <= len(value) <= 15
    if kind is FieldType.EMAIL:
        return bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", value))
    return bool(value.strip())


def reseal_normalized(vault: Vault, kind: FieldType, token: str) -> tuple[str, bool]:
    """The value normalised and sealed again, and whether it looks complete."""
    value = normalize_personal(kind, vault.open(token))
    return vault.seal(value), looks_complete(kind, value)
