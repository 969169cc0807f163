"""What asking for a field sounds like: the words of its name and description (as stems), and the words
that ask for a value of each type ("how much", "what time"; "when" only weakly)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from callpilot.aftercall.fields.schema import FieldSpec, FieldType

__all__ = ["STOP", "TYPE_CUES", "WEAK_TYPE_CUES", "Cues", "cue_words"]

STOP = {"the", "a", "an", "of", "or", "and", "to", "for", "is", "it", "on", "in", "be", "which", "what", "who",
         "whether", "how", "many", "customer", "customers", "s", "wants", "want", "made", "makes", "goes", "when"}
_GENERIC = {"number", "type", "date", "time", "day", "amount", "name", "value", "address", "week"}
_SCHEDULING = ("does that work", "would that work", "works for you", "available", "opening", "earliest")
TYPE_CUES: dict[FieldType, tuple[str, ...]] = {
    FieldType.MONEY: ("how much", "amount", "charge"),
    FieldType.NUMBER: ("how many", "number of"),
    FieldType.DATE: ("what date", "which date", "what day", "which day"),
    FieldType.TIME: ("what time", "which time", "morning or afternoon", "time works", "slot", "window"),
    FieldType.WEEKDAY: ("which day", "what day", "days", "day of the week", "weekday"),
    FieldType.PHONE: ("phone", "number to reach", "reach you", "call you back", "callback", "best number"),
    FieldType.EMAIL: ("email", "e-mail", "e mail"),
    FieldType.ADDRESS: ("address", "where do you live", "street", "location"),
    FieldType.BOOLEAN: ("would you like", "do you want", "should i", "shall i", "set up", "enroll", "sign you up",
                        "turn on"),
    FieldType.ENUM: ("which", "what kind", "what type"),
    FieldType.STRING: ("who", "what's the name", "name of", "which company"),
}
# Words that may ask for a value of the type but often ask something else ("when did it start"): half a point.
WEAK_TYPE_CUES: dict[FieldType, tuple[str, ...]] = {
    FieldType.DATE: ("when", "date", "schedule", *_SCHEDULING),
    FieldType.TIME: ("when", *_SCHEDULING),
}
_SUFFIXES = ("ments", "ment", "ing", "ed", "es", "s")


@dataclass(frozen=True, slots=True)
class Cues:
    phrases: tuple[str, ...]
    specific: tuple[re.Pattern[str], ...]  # the field's own words (stems)
    described: tuple[re.Pattern[str], ...]  # its description's words


def cue_words(spec: FieldSpec) -> Cues:
    """The phrases (label, ``ask``), the field's own words and its description's words, as stems ("payment"
    matches "pay", "paying", "payee")."""
    phrases = (spec.label.lower(), *(a.lower() for a in spec.ask))
    name_words = [w for w in spec.label.lower().split() if w not in STOP]
    described = [w for w in re.findall(r"[a-z]+", spec.description.lower()) if w not in STOP and len(w) > 2]
    specific = list(dict.fromkeys(w for w in name_words if w not in _GENERIC))
    others = [w for w in dict.fromkeys(described) if w not in specific and w not in _GENERIC]
    return Cues(phrases=phrases, specific=tuple(_stem_pattern(w) for w in specific),
                 described=tuple(_stem_pattern(w) for w in others))


def _stem_pattern(word: str) -> re.Pattern[str]:
    stem = word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            break
    return re.compile(rf"\b{re.escape(stem)}", re.I)
