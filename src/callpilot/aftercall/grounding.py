"""Grounding checks: does a sentence or value actually come from the segments it cites?

The local engine builds everything from segments, so its output passes by construction; the LLM engine's does
not, and what fails here is dropped or flagged, never delivered as if it had been said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callpilot.analyzers.context.analyzer import content_words
from callpilot.analyzers.context.spoken_numbers import read_quantity, tokenize
from callpilot.analyzers.pii.spoken import find_digit_runs

__all__ = ["sentence_support", "value_supported"]

_ROLE_WORDS = {"customer", "agent", "caller", "representative", "rep", "customers", "agents", "says", "said", "asks",
               "asked", "tells", "told", "wants", "will", "would", "called", "calls", "call"}


def sentence_support(text: str, cited: Sequence[str]) -> float:
    """The share of the sentence's content words (role words aside) found in the cited segments, with a
    crude suffix-stripping so "charged" matches "charge"."""
    words = [w.removesuffix("'s") for w in content_words(text)]
    words = [w for w in words if w not in _ROLE_WORDS]
    if not words:
        return 1.0
    pool = {_stem(w.removesuffix("'s")) for t in cited for w in content_words(t)}
    return sum(1 for w in words if _stem(w) in pool) / len(words)


def value_supported(value: object, cited: Sequence[str]) -> bool:
    """Whether the value (as an LLM gave it) is said in the cited segments: its words, or its digits read out
    the way callers say them ("two fifty" for 250)."""
    if value is None or isinstance(value, bool):
        return True  # absence and yes/no are judged by their evidence, not by words
    said = " ".join(cited).lower()
    text = str(value).lower().strip()
    if text.startswith("[") and text.endswith("]"):
        return text in said
    digits = re.sub(r"\D", "", text.split(".")[0] if re.fullmatch(r"[$€£]?[\d,]+\.00", text) else text)
    if digits:
        return digits in _numbers_said(said)
    words = [w for w in re.findall(r"[a-z]+", text) if len(w) > 2]
    return bool(words) and all(_stem(w) in {_stem(x) for x in re.findall(r"[a-z]+", said)} for w in words)


def _numbers_said(text: str) -> str:
    """Every way the text says numbers, as one string of digit groups: written digits, dictated digits, and
    quantities (with "two fifty" also read as 250)."""
    groups = re.findall(r"\d+", text.replace(",", ""))
    groups += [run.digits for run in find_digit_runs(text)]
    tokens = tokenize(text)
    i = 0
    while i < len(tokens):
        read = read_quantity(tokens, i)
        if read is None:
            i += 1
            continue
        groups.append(str(read[0]))
        nxt = read_quantity(tokens, read[1]) if read[1] < len(tokens) else None
        if nxt is not None:
            groups.append(f"{read[0]}{nxt[0]:02d}" if nxt[0] < 100 else f"{read[0]}{nxt[0]}")
        i = read[1]
    return " " + " ".join(groups) + " "


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word
