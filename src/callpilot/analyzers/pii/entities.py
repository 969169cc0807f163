"""The personal-data types callpilot finds, and one finding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["EntityType", "Found"]


class EntityType(StrEnum):
    CARD_NUMBER = "CARD_NUMBER"
    CARD_EXPIRY = "CARD_EXPIRY"
    CVV = "CVV"
    SSN = "SSN"
    PHONE_NUMBER = "PHONE_NUMBER"
    EMAIL = "EMAIL"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    ROUTING_NUMBER = "ROUTING_NUMBER"
    IBAN = "IBAN"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    ADDRESS = "ADDRESS"
    PERSON = "PERSON"
    PASSPORT = "PASSPORT"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    NUMBER = "NUMBER"
    """Dictated digits of no known type where personal data was likely (e.g. the first piece of a number)."""


@dataclass(frozen=True, slots=True)
class Found:
    """``type`` between characters ``start`` and ``end`` of the text; ``digits`` when the value is a number."""

    type: EntityType
    start: int
    end: int
    score: float
    recognizer: str
    digits: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start
