"""What a run of digits is: card, SSN, phone, account, ... from its length, checksums, form and context."""

from __future__ import annotations

import re

from callpilot.analyzers.pii.cues import Cue
from callpilot.analyzers.pii.entities import EntityType

__all__ = ["aba_valid", "classify_digits", "luhn_valid", "ssn_plausible"]

E = EntityType
_SSN_WRITTEN = re.compile(r"^\d{3}[ -]\d{2}[ -]\d{4}$")
_PHONE_WRITTEN = re.compile(r"^\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}$|^\d{3}[ .-]\d{4}$")
# The digit counts each type may have when a cue says that is what was asked for.
_CUED_LENGTHS: dict[EntityType, range] = {
    E.CARD_NUMBER: range(4, 20),  # "the last four of the card" is four digits
    E.CARD_EXPIRY: range(3, 7),
    E.CVV: range(3, 5),
    E.SSN: range(4, 10),
    E.PHONE_NUMBER: range(7, 16),
    E.BANK_ACCOUNT: range(4, 18),
    E.ROUTING_NUMBER: range(8, 10),
    E.PASSPORT: range(6, 10),
    E.DRIVER_LICENSE: range(4, 14),
    E.ADDRESS: range(3, 6),  # a zip code or house number after "address"/"zip"
    E.DATE_OF_BIRTH: range(4, 9),
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def aba_valid(digits: str) -> bool:
    """The ABA routing-number checksum (weights 3, 7, 1)."""
    if len(digits) != 9:
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def ssn_plausible(digits: str) -> bool:
    """Issued SSNs never have area 000, 666 or 9xx, group 00 or serial 0000."""
    return (len(digits) == 9 and digits[:3] not in {"000", "666"} and digits[0] != "9"
            and digits[3:5] != "00" and digits[5:] != "0000")


def classify_digits(digits: str, written: str, cue: Cue | None, *, plus: bool = False,
                    dictated: bool = True) -> EntityType | None:
    """The type of a number, or None for an ordinary one.

    ``written`` is the text the digits came from (its form tells "123-45-6789" from a phone number), ``cue``
    the nearest context cue before it, ``plus`` whether "+" or "plus" came first, ``dictated`` whether it was
    said digit by digit (not "two hundred").
    """
    n = len(digits)
    if cue is not None and cue.type is not None and n in _CUED_LENGTHS.get(cue.type, range(0)):
        return cue.type
    if cue is not None and cue.type is None and cue.distance <= 3:
        return None  # "order number ...", "error ...": an ordinary identifier
    if plus and 8 <= n <= 15:
        return E.PHONE_NUMBER
    if 13 <= n <= 19 and luhn_valid(digits):
        return E.CARD_NUMBER
    stripped = written.strip()
    if n == 9 and (_SSN_WRITTEN.match(stripped) or (ssn_plausible(digits) and dictated)):
        return E.SSN
    if (n == 10 and digits[0] in "23456789") or (n == 11 and digits[0] in "10"):
        return E.PHONE_NUMBER
    if n in (7, 10) and _PHONE_WRITTEN.match(stripped):
        return E.PHONE_NUMBER
    if 12 <= n <= 19 and dictated:
        return E.NUMBER  # a card or account number said with a digit misheard or missing
    return None
