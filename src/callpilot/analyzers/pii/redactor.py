"""PiiRedactor: finds personal data in one segment's text and replaces it according to a policy per type.

The redactor is stateless and synchronous; what spans segments (numbers read out in pieces) lives in
:mod:`callpilot.analyzers.pii.pieces`, and the pipeline analyzer in :mod:`callpilot.analyzers.pii.analyzer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from callpilot.analyzers.pii.cues import Cue, CueBook, default_cues
from callpilot.analyzers.pii.entities import EntityType, Found
from callpilot.analyzers.pii.numbers import classify_digits
from callpilot.analyzers.pii.patterns import (
    find_addresses,
    find_dates,
    find_emails,
    find_ibans,
    find_names,
    find_spellings,
)
from callpilot.analyzers.pii.spoken import DigitRun, find_digit_runs
from callpilot.core.errors import ConfigError

__all__ = ["Policy", "PiiRedactor", "Redaction", "RedactedSpan", "is_amount", "is_dictated", "run_type"]

E = EntityType
_CURRENCY_BEFORE = re.compile(r"[$€£]\s?$")
_PLUS_BEFORE = re.compile(r"(?:\+|\bplus\s)\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\[[A-Z_]+(?: [*\d]+)?\]")
_CARDINAL = re.compile(r"\b(?:hundred|thousand|million|point|and)\b", re.IGNORECASE)


class Policy(StrEnum):
    REDACT = "redact"
    MASK = "mask"
    """Keep the last four digits: ``[CARD_NUMBER ****1111]``; types without digits are redacted."""
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class RedactedSpan:
    """One entity: ``start``/``end`` in the input text, ``out_start``/``out_end`` in the redacted text."""

    type: EntityType
    start: int
    end: int
    out_start: int
    out_end: int
    policy: Policy
    digits: str | None = None


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    spans: tuple[RedactedSpan, ...]


def is_dictated(text: str, run: DigitRun) -> bool:
    """Said digit by digit ("four one one", "4111") rather than as a quantity ("two hundred and five")."""
    return not _CARDINAL.search(text, run.start, run.end)


def is_amount(text: str, run: DigitRun, cues: CueBook) -> bool:
    """"$8,400", "two hundred dollars": money, not personal data, and never a piece of a number read out."""
    return bool(_CURRENCY_BEFORE.search(text, 0, run.start)) or cues.unit_after(text, run.end)


def run_type(text: str, run: DigitRun, cues: CueBook, context_cue: Cue | None) -> EntityType | None:
    """The type of one digit run, judged from its own segment's cues first and the question before it second."""
    cue = cues.nearest(text, run.start)
    if cue is None or (cue.type is not None and cue.distance > 6 and context_cue is not None):
        cue = context_cue if cue is None else cue
    if cues.unit_after(text, run.end) and not (cue and cue.type and cue.distance <= 2):
        return None  # "forty five minutes", "two hundred dollars"
    if _CURRENCY_BEFORE.search(text, 0, run.start):
        return None  # "$8,400": an amount

    plus = bool(_PLUS_BEFORE.search(text, 0, run.start))
    return classify_digits(run.digits, text[run.start:run.end], cue, plus=plus, dictated=is_dictated(text, run))


class PiiRedactor:
    """Finds entities with every recognizer, keeps the longest of overlapping findings, applies policies.

    ``policies`` maps entity types (names) to redact/mask/keep; types not named are redacted. ``cues`` replaces
    the shipped context cues (cues.yaml).
    """

    DEFAULT_POLICY: Policy = Policy.REDACT

    def __init__(self, *, policies: Mapping[str, str] | None = None, cues: CueBook | None = None) -> None:
        self.cues = cues or default_cues()
        self.policies: dict[EntityType, Policy] = {}
        for name, policy in (policies or {}).items():
            try:
                self.policies[EntityType(name.upper())] = Policy(policy)
            except ValueError as exc:
                raise ConfigError(
                    f"pii policy {name}: {policy!r}: entity types are {', '.join(E)}; policies are "
                    f"{', '.join(Policy)}"
                ) from exc

    def context_cue(self, context: str | None) -> Cue | None:
        """What the other speaker just asked for ("can i have the card number" -> CARD_NUMBER), if anything."""
        if not context:
            return None
        cue = self.cues.strongest(_PLACEHOLDER.sub(" ", context))  # "[CARD_NUMBER]" is no question for one
        return Cue(cue.type, cue.phrase, 99) if cue is not None and cue.type is not None else None

    def find(self, text: str, context: str | None = None, names: Iterable[str] = (),
             runs: list[DigitRun] | None = None) -> list[Found]:
        """Every entity in ``text``, non-overlapping, in order. ``context`` is the other speaker's last words;
        ``runs``, the text's digit runs when the caller has them already."""
        context_cue = self.context_cue(context)
        context_type = context_cue.type if context_cue else None
        runs = find_digit_runs(text) if runs is None else runs
        found: list[Found] = []
        for run in runs:
            entity_type = run_type(text, run, self.cues, context_cue)
            if entity_type is not None:
                found.append(Found(entity_type, run.start, run.end, 0.8, "digits", run.digits))
        own_cue = self.cues.nearest(text, window=12)
        spelling_type = own_cue.type if own_cue and own_cue.type else context_type
        found += find_spellings(text, cue_type=spelling_type, cues=self.cues)
        found += find_emails(text)
        found += find_ibans(text)
        found += find_dates(text, birth_context=context_type is E.DATE_OF_BIRTH, cues=self.cues)
        found += find_addresses(text, runs)
        found += find_names(text, names, not_names=self.cues.not_names, opinion_words=self.cues.opinion_words)
        if context_type is E.PERSON and not any(f.type is E.PERSON for f in found):
            found += _answer_is_name(text, self.cues.not_names)
        return _resolve(found, text)

    def redact(self, text: str, found: Iterable[Found]) -> Redaction:
        """Replace each finding by its placeholder (or mask, or leave it, by policy)."""
        out: list[str] = []
        spans: list[RedactedSpan] = []
        pos = 0
        length = 0
        for f in sorted(found, key=lambda f: f.start):
            policy = self.policies.get(f.type, self.DEFAULT_POLICY)
            replacement = self.placeholder(f, text, policy)
            out.append(text[pos:f.start])
            length += f.start - pos
            spans.append(RedactedSpan(f.type, f.start, f.end, length, length + len(replacement), policy, f.digits))
            out.append(replacement)
            length += len(replacement)
            pos = f.end
        out.append(text[pos:])
        return Redaction("".join(out), tuple(spans))

    def placeholder(self, f: Found, text: str, policy: Policy) -> str:
        if policy is Policy.KEEP:
            return text[f.start:f.end]
        digits = f.digits or "".join(ch for ch in text[f.start:f.end] if ch.isdigit())
        if policy is Policy.MASK and len(digits) > 4 and f.recognizer != "pieces":
            return f"[{f.type} {'*' * (len(digits) - 4)}{digits[-4:]}]"
        return f"[{f.type}]"


_ANSWER_WORD = re.compile(r"[a-z][a-z'-]+", re.IGNORECASE)


def _answer_is_name(text: str, not_names: frozenset[str]) -> list[Found]:
    """When asked for a name, a short answer's words that are not common words are the name ("max savage")."""
    words = [m for m in _ANSWER_WORD.finditer(text) if m.group(0).lower() not in not_names]
    if not words or len(text.split()) > 8:
        return []
    return [Found(E.PERSON, words[0].start(), words[-1].end(), 0.6, "asked_name")]


def _resolve(found: list[Found], text: str) -> list[Found]:
    """Keep the longest findings (then the most confident) where they overlap; join neighbours of one type
    ("maria" "gonzalez" -> one PERSON)."""
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: (-f.length, -f.score, f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    joined: list[Found] = []
    for f in sorted(kept, key=lambda f: f.start):
        last = joined[-1] if joined else None
        if last is not None and last.type is f.type and not text[last.end:f.start].strip() \
                and last.digits is None and f.digits is None:
            joined[-1] = Found(f.type, last.start, f.end, max(last.score, f.score), last.recognizer)
        else:
            joined.append(f)
    return joined
