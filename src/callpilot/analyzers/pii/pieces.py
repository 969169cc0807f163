"""Numbers read out in pieces: a card number over two or three segments of the same speaker.

We chose correction over holding. Holding a digit-like tail back would delay the agent's screen and break the
promise that an acknowledged segment is stored. So each segment is stored at once. Its trailing dictated digits
are redacted *provisionally* (as ``[NUMBER]``, or as the type the agent asked for). The digits are kept only
encrypted, in the analyzer's state. When the same speaker's next segment starts with more digits, the joined
number is judged as a whole: the new piece gets its type, and every earlier piece whose placeholder was of
another type gets a correction event (``SegmentRedactionAmended``). Streams and the call state show every piece
redacted, and no piece's digits are ever stored in clear.

One trade-off remains: a trailing run of fewer than ``min_tail_digits`` digits, with no cue and no question
before it, is not redacted when it arrives ("my number is five" ...). When it turns out to begin a longer
number, the correction redacts it in the state and on the streams, but the original event keeps that digit or
two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from callpilot.analyzers.pii.cues import Cue
from callpilot.analyzers.pii.entities import EntityType, Found
from callpilot.analyzers.pii.numbers import classify_digits
from callpilot.analyzers.pii.redactor import PiiRedactor, Redaction, is_amount, is_dictated
from callpilot.analyzers.pii.spoken import DigitRun, find_digit_runs

__all__ = ["NUMERIC_TYPES", "Chain", "Piece", "PieceJoiner", "PiecesResult"]

E = EntityType
NUMERIC_TYPES = frozenset({E.CARD_NUMBER, E.SSN, E.PHONE_NUMBER, E.BANK_ACCOUNT, E.ROUTING_NUMBER, E.NUMBER,
                           E.PASSPORT, E.DRIVER_LICENSE, E.CVV, E.CARD_EXPIRY})
# Words that may come before the next piece: "uh", "and then", "the rest is", "okay next".
_LEAD_FILLER = re.compile(
    r"^(?:[\s,.]|\b(?:uh|um|er|and|then|the|rest|is|it's|its|next|okay|ok|so|yes|yeah|continuing|after|that|"
    r"last|digits|numbers|are|y|luego|después)\b)*$",
    re.IGNORECASE,
)
_TAIL_END = re.compile(r"^[\s,.\-?!]*(?:\b(?:uh|um|and|then)\b[\s,.]*)*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Piece:
    """Where one piece's placeholder stands in its stored segment."""

    segment_id: str
    start: int
    end: int


@dataclass(slots=True)
class Chain:
    """A speaker's number still being read out: its digits so far, its type so far and where its pieces are."""

    type: EntityType
    digits: str
    pieces: list[Piece]
    last_end: float
    cue_type: EntityType | None = None


@dataclass(slots=True)
class PiecesResult:
    redaction: Redaction
    chain: Chain | None
    """The speaker's open number after this segment (None: nothing open)."""
    amendments: list[tuple[Piece, EntityType]] = field(default_factory=list)
    """Earlier pieces whose placeholder must now show another type."""


class PieceJoiner:
    """Redacts one segment with the speaker's open number in mind; see the module docstring."""

    def __init__(self, redactor: PiiRedactor, *, max_gap_seconds: float = 20.0, min_tail_digits: int = 3) -> None:
        self.redactor = redactor
        self.max_gap_seconds = max_gap_seconds
        self.min_tail_digits = min_tail_digits

    def process(self, text: str, *, segment_id: str, context: str | None, names: Iterable[str],
                chain: Chain | None, start: float, end: float, final: bool = True) -> PiecesResult:
        runs = find_digit_runs(text)
        found = self.redactor.find(text, context, names, runs)
        amendments: list[tuple[Piece, EntityType]] = []
        joined: tuple[DigitRun, Chain] | None = None
        if chain is not None and start - chain.last_end <= self.max_gap_seconds and runs:
            lead = runs[0]
            if _LEAD_FILLER.match(text[:lead.start]) and is_dictated(text, lead) and not self._amount(text, lead):
                joined_chain = self._join(chain, lead)
                if joined_chain is not None:
                    joined = lead, joined_chain
                    # the piece carries the whole number read so far: what the vault keeps for it
                    found = _override(found, Found(joined_chain.type, lead.start, lead.end, 0.9, "pieces",
                                                   joined_chain.digits))
                    amendments = [(p, joined_chain.type) for p in chain.pieces if joined_chain.type != chain.type]
        tail = runs[-1] if runs and final else None
        opened: Chain | None = None
        if tail is not None and _TAIL_END.match(text[tail.end:]) and is_dictated(text, tail) \
                and not self._amount(text, tail):
            if joined is not None and joined[0] is tail:
                opened = joined[1]
            else:
                opened, found = self._open(text, tail, found, context)
        redaction = self.redactor.redact(text, found)
        if opened is not None and tail is not None:
            span = next(s for s in redaction.spans if s.start == tail.start)
            opened.pieces = [*opened.pieces, Piece(segment_id, span.out_start, span.out_end)]
            opened.last_end = end
        return PiecesResult(redaction, opened, amendments)

    def _amount(self, text: str, run: DigitRun) -> bool:
        return is_amount(text, run, self.redactor.cues)

    def _join(self, chain: Chain, lead: DigitRun) -> Chain | None:
        digits = chain.digits + lead.digits
        cue = Cue(chain.cue_type, "pieces", 0) if chain.cue_type else None
        entity_type = classify_digits(digits, "", cue, dictated=True)
        if entity_type is None and chain.type is not E.NUMBER:
            return None
        return Chain(entity_type or E.NUMBER, digits, list(chain.pieces), chain.last_end, chain.cue_type)

    def _open(self, text: str, tail: DigitRun, found: list[Found], context: str | None
              ) -> tuple[Chain | None, list[Found]]:
        """Start a chain at a trailing run: typed if recognised, else provisional when long enough."""
        covering = next((f for f in found if f.start <= tail.start and tail.end <= f.end), None)
        cue = self.redactor.cues.nearest(text, tail.start)
        context_cue = self.redactor.context_cue(context)
        cue_type = cue.type if cue is not None and cue.type is not None else (context_cue.type if context_cue
                                                                              else None)
        if covering is not None:
            if covering.type not in NUMERIC_TYPES or (covering.start, covering.end) != (tail.start, tail.end):
                return None, found
            # a piece is shown as a plain placeholder: its last four digits are not the number's
            piece = Found(covering.type, tail.start, tail.end, covering.score, "pieces", tail.digits)
            return Chain(covering.type, tail.digits, [], 0.0, cue_type), _override(found, piece)
        if cue is not None and cue.type is None and cue.distance <= 3:
            return None, found  # "order number four five six": ordinary
        if len(tail.digits) < self.min_tail_digits and cue_type is None:
            return None, found
        provisional = Found(E.NUMBER, tail.start, tail.end, 0.5, "pieces", tail.digits)
        return Chain(E.NUMBER, tail.digits, [], 0.0, cue_type), _override(found, provisional)


def _override(found: list[Found], new: Found) -> list[Found]:
    """``found`` with ``new`` in place of whatever overlapped it."""
    kept = [f for f in found if f.end <= new.start or f.start >= new.end]
    return sorted([*kept, new], key=lambda f: f.start)
