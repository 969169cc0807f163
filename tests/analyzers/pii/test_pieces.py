"""Numbers read out over several segments: every piece ends up redacted with the joined number's type."""

from __future__ import annotations

import pytest

from callpilot.analyzers.pii.pieces import Chain, PieceJoiner
from callpilot.analyzers.pii.redactor import PiiRedactor


def _run(pieces: list[tuple[str | None, str]]) -> tuple[list[str], Chain | None]:
    """Feed the same speaker's segments (with the other speaker's words before each); apply amendments."""
    joiner = PieceJoiner(PiiRedactor())
    chain: Chain | None = None
    texts: list[str] = []
    for i, (context, text) in enumerate(pieces):
        result = joiner.process(text, segment_id=str(i), context=context, names=[], chain=chain,
                                start=i * 5.0, end=i * 5.0 + 4)
        for piece, new_type in result.amendments:
            index = int(piece.segment_id)
            texts[index] = texts[index][:piece.start] + f"[{new_type}]" + texts[index][piece.end:]
        texts.append(result.redaction.text)
        chain = result.chain
    return texts, chain


@pytest.mark.parametrize(("pieces", "expected"), [
    # the agent asked: every piece is typed at once
    ([("can i have the card number", "four one one one one one one one"), ("mhm", "one one one one one one one one")],
     ["[CARD_NUMBER]", "[CARD_NUMBER]"]),
    # nobody asked: the first piece is provisional, then corrected
    ([(None, "okay it's four one one one one one one one"), ("mhm", "uh one one one one one one one one thanks")],
     ["okay it's [CARD_NUMBER]", "uh [CARD_NUMBER] thanks"]),
    # three pieces
    ([(None, "four one one one"), (None, "one one one one"), (None, "one one one one one one one one")],
     ["[CARD_NUMBER]", "[CARD_NUMBER]", "[CARD_NUMBER]"]),
    # a phone number in two pieces
    ([(None, "my number is five five five"), (None, "one two three four five six seven")],
     ["my number is [PHONE_NUMBER]", "[PHONE_NUMBER]"]),
    # an amount at the end of a segment is no piece of a number being read out
    ([("and the amount", "the invoice is $16,800 but we're paying half so $8,400"), ("okay", "yes")],
     ["the invoice is $16,800 but we're paying half so $8,400", "yes"]),
    # an order number is no piece of anything
    ([(None, "my order number is four five six seven"), (None, "and it was late")],
     ["my order number is four five six seven", "and it was late"]),
])
def test_pieces_are_joined(pieces: list[tuple[str | None, str]], expected: list[str]) -> None:
    texts, _ = _run(pieces)
    assert texts == expected


def test_a_piece_too_late_is_not_joined() -> None:
    joiner = PieceJoiner(PiiRedactor(), max_gap_seconds=10)
    first = joiner.process("four one one one one one one one", segment_id="a", context=None, names=[], chain=None,
                           start=0, end=3)
    assert first.chain is not None
    later = joiner.process("one one one one one one one one", segment_id="b", context=None, names=[],
                           chain=first.chain, start=60, end=63)
    assert later.amendments == []


def test_the_chain_closes_when_the_number_is_finished() -> None:
    _, chain = _run([(None, "four one one one one one one one"), (None, "one one one one one one one one ok")])
    assert chain is None
