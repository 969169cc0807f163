"""Personal values as a CRM wants them: the vault holds what was said ("five five five two one two ...",
"j dot rivera at example dot com"); the field holds that value normalised ("5552120142", "j.rivera@example.com"),
sealed again. The clear value exists only in memory, inside this function."""

from __future__ import annotations

import re

from callpilot.aftercall.fields.schema import FieldType
from callpilot.analyzers.pii.spoken import find_digit_runs
from callpilot.analyzers.pii.vault import Vault

__all__ = ["normalize_personal", "reseal_normalized"]

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
        return "".join(_JOINERS.get(word, word) for word in re.findall(r"[a-z0-9]+|[@._+-]", text))
    return " ".join(raw.split())


def reseal_normalized(vault: Vault, kind: FieldType, token: str) -> str:
    return vault.seal(normalize_personal(kind, vault.open(token)))
