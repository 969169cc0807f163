"""Names in a call: a run of name-like words that the customer says and the agent repeats."""

from __future__ import annotations

import re

from callpilot.aftercall.fields.cues import STOP

__all__ = ["common_name", "proper"]

_NAME_WORD = re.compile(r"[a-z][a-z'&-]*")
_NOT_NAME_WORDS = STOP | {"i", "you", "my", "your", "we", "our", "me", "that", "this", "um", "uh", "yeah", "okay",
                           "so", "just", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                           "zero", "oh", "ten", "hundred", "dollars", "got", "see", "set", "up", "thanks",
                           "thank", "please", "yes", "no", "account", "card", "number", "bill", "charge"}


def common_name(said: str, echo: str, excluded: set[str]) -> str | None:
    """The longest run of two to five name-like words (no stop words, numbers or placeholders) that both
    segments say, or None."""
    words = _NAME_WORD.findall(said.lower())
    echoed = " " + " ".join(_NAME_WORD.findall(echo.lower())) + " "
    for size in (5, 4, 3, 2):
        for i in range(len(words) - size + 1):
            run = words[i:i + size]
            if any(w in _NOT_NAME_WORDS for w in run):
                continue
            phrase = " ".join(run)
            if f" {phrase} " in echoed and phrase not in excluded and phrase in said.lower():
                return phrase
    return None


def proper(text: str) -> str:
    return " ".join(w.capitalize() for w in text.split())
