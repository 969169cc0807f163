"""The redactor on single segments: spoken forms in, typed placeholders out; ordinary numbers untouched."""

from __future__ import annotations

import pytest

from callpilot.analyzers.pii.numbers import aba_valid, luhn_valid, ssn_plausible
from callpilot.analyzers.pii.redactor import PiiRedactor
from callpilot.core.errors import ConfigError

REDACTED = [
    # (context: the other speaker's last words, text, expected redacted text)
    (None, "my card number is four one one one one one one one one one one one one one one one",
     "my card number is [CARD_NUMBER]"),
    (None, "sure it's 4111 1111 1111 1111", "sure it's [CARD_NUMBER]"),
    (None, "it's five five double five five five five five five five five five triple four four",
     "it's [CARD_NUMBER]"),
    (None, "forty one eleven eleven eleven eleven eleven eleven eleven", "[CARD_NUMBER]"),
    ("can i have the long number on the card", "four one one one double one one one", "[CARD_NUMBER]"),
    ("and the expiry date", "oh four twenty seven", "[CARD_EXPIRY]"),
    ("and the security code on the back", "one two three", "[CVV]"),
    (None, "my social is one two three four five six seven eight nine", "my social is [SSN]"),
    (None, "it is 123-45-6789", "it is [SSN]"),
    (None, "call me back at five five five one two three four five six seven", "call me back at [PHONE_NUMBER]"),
    (None, "my cell is 555-123-4567", "my cell is [PHONE_NUMBER]"),
    (None, "plus four four two oh seven nine four six oh nine five eight", "plus [PHONE_NUMBER]"),
    (None, "my email is john dot smith at gmail dot com", "my email is [EMAIL]"),
    (None, "it's j o h n at yahoo dot com", "it's [EMAIL]"),
    (None, "it's m reyes eighty eight at example dot org", "it's [EMAIL]"),
    (None, "sure it's j p marsh all together at example dot org", "sure it's [EMAIL]"),
    ("can i get an email", "g park seventy at example dot com", "[EMAIL]"),
    (None, "send it to maria.g@example.org please", "send it to [EMAIL] please"),
    (None, "my account number is one two three four five six seven eight", "my account number is [BANK_ACCOUNT]"),
    (None, "the routing number is 021000021", "the routing number is [ROUTING_NUMBER]"),
    (None, "my iban is GB82 WEST 1234 5698 7654 32", "my iban is [IBAN]"),
    ("what is your date of birth", "march fourteenth nineteen eighty five", "[DATE_OF_BIRTH]"),
    (None, "i was born on the 3rd of may 1990", "i was born on [DATE_OF_BIRTH]"),
    (None, "i live at one two three main street apartment four b", "i live at [ADDRESS]"),
    (None, "it's 221 baker street", "it's [ADDRESS]"),
    (None, "hi my name is maria gonzalez", "hi my name is [PERSON]"),
    (None, "hi this is dana from brightside how can i help", "hi this is [PERSON] from brightside how can i help"),
    (None, "my name is max savage", "my name is [PERSON]"),
    (None, "my last name is s m i t h", "my last name is [PERSON]"),
    ("can i have your full name please", "max savage", "[PERSON]"),
    (None, "my passport number is five three one two four six seven eight nine", "my passport number is [PASSPORT]"),
    ("what's your postcode", "t q 6 r 4 s s l", "[ADDRESS]"),
]

KEPT = [
    "it took forty five minutes",
    "that's two hundred dollars",
    "the invoice is $16,800 but we're paying half up front so $8,400",
    "i get error four oh one",
    "i'm on version two point five",
    "my order number is four five six seven eight",
    "the ticket number is one two three four five six",
    "we open at nine thirty",
    "i have two kids and one dog",
    "i understand",
    "this is ridiculous, i want to speak to a supervisor",
    "this is the second time this happened",
    "it went through at eleven forty two p m",
    "back in twenty nineteen",
    "",
    "🙂👍",
    "私の注文について",
]


@pytest.mark.parametrize(("context", "text", "expected"), REDACTED)
def test_redacts_spoken_pii(context: str | None, text: str, expected: str) -> None:
    redactor = PiiRedactor()
    assert redactor.redact(text, redactor.find(text, context)).text == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    assert PiiRedactor().find(text) == []


def test_spans_point_into_input_and_output() -> None:
    redactor = PiiRedactor()
    text = "card 4111111111111111 and phone 555-123-4567"
    redaction = redactor.redact(text, redactor.find(text))
    card, phone = redaction.spans
    assert text[card.start:card.end] == "4111111111111111"
    assert redaction.text[card.out_start:card.out_end] == "[CARD_NUMBER]"
    assert text[phone.start:phone.end] == "555-123-4567"
    assert redaction.text[phone.out_start:phone.out_end] == "[PHONE_NUMBER]"


def test_names_from_metadata_are_always_redacted() -> None:
    redactor = PiiRedactor()
    text = "thanks gonzalez i'll note that for maria"
    assert redactor.redact(text, redactor.find(text, names=["Maria Gonzalez"])).text == \
        "thanks [PERSON] i'll note that for [PERSON]"


@pytest.mark.parametrize(("policy", "expected"), [
    ("redact", "card [CARD_NUMBER]"),
    ("mask", "card [CARD_NUMBER ************1111]"),
    ("keep", "card 4111111111111111"),
])
def test_policies(policy: str, expected: str) -> None:
    redactor = PiiRedactor(policies={"CARD_NUMBER": policy})
    text = "card 4111111111111111"
    assert redactor.redact(text, redactor.find(text)).text == expected


@pytest.mark.parametrize("policies", [{"CARD": "redact"}, {"CARD_NUMBER": "hide"}])
def test_bad_policy_fails_with_its_name(policies: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="pii policy"):
        PiiRedactor(policies=policies)


@pytest.mark.parametrize(("check", "value", "ok"), [
    (luhn_valid, "4111111111111111", True), (luhn_valid, "4111111111111112", False),
    (aba_valid, "021000021", True), (aba_valid, "021000022", False),
    (ssn_plausible, "123456789", True), (ssn_plausible, "666123456", False), (ssn_plausible, "123006789", False),
])
def test_checksums(check: object, value: str, ok: bool) -> None:
    assert check(value) is ok  # type: ignore[operator]


def test_a_100_kb_segment_is_handled() -> None:
    text = "my card is 4111 1111 1111 1111 " + "and some more words " * 5000
    redactor = PiiRedactor()
    assert redactor.redact(text, redactor.find(text)).text.startswith("my card is [CARD_NUMBER] and")


def test_a_placeholder_in_the_question_is_no_cue() -> None:
    redactor = PiiRedactor()
    assert redactor.find("it went through at eleven forty two", context="it's [CARD_NUMBER]") == []
