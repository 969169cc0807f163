from __future__ import annotations

import pytest

from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.core.errors import ConfigError

PRODUCTS = {"Acme Router X2": ["router x2", "x two router"], "Skyline Wallet": []}


@pytest.mark.parametrize("text, expected", [
    # error codes, written and spoken
    ("the app shows error E1042 when i log in", [("error_code", "E1042", "E1042")]),
    ("i get error four oh one every time", [("error_code", "401", "four oh one")]),
    ("error code 0x80070005 access denied", [("error_code", "0x80070005", "0x80070005")]),
    ("it says e-1234 and closes", [("error_code", "E-1234", "e-1234")]),
    ("a 404 error on the page", [("error_code", "404", "404")]),
    ("status code 500", [("error_code", "500", "500")]),
    ("i got an error one time", []),
    # versions
    ("version five point two point one", [("version", "5.2.1", "five point two point one")]),
    ("v2.5 is broken", [("version", "2.5", "2.5")]),
    ("i updated to 10.4.2 yesterday", [("version", "10.4.2", "10.4.2"), ("date", "yesterday", "yesterday")]),
    ("android version fourteen", [("version", "14", "fourteen")]),
    # reference numbers
    ("my order number is one two three four five", [("order_number", "12345", "one two three four five")]),
    ("order #A12-3456 never came", [("order_number", "A12-3456", "A12-3456")]),
    ("case number four five two one", [("ticket_number", "4521", "four five two one")]),
    ("invoice number INV-2024-0031", [("invoice_number", "INV-2024-0031", "INV-2024-0031")]),
    ("in that case we can wait", []),
    # amounts
    ("i was charged $200 twice", [("amount", "$200", "$200")]),
    ("$1,250.00 was withdrawn", [("amount", "$1,250", "$1,250.00")]),
    ("two hundred dollars", [("amount", "$200", "two hundred dollars")]),
    ("eighty four dollars and ninety nine cents", [("amount", "$84.99", "eighty four dollars and ninety nine cents")]),
    ("two charges of eighty four ninety nine", [("amount", "$84.99", "eighty four ninety nine")]),
    ("one thousand five hundred euros", [("amount", "€1,500", "one thousand five hundred euros")]),
    ("the bill was 84.99", [("amount", "$84.99", "84.99")]),
    ("twenty bucks", [("amount", "$20", "twenty bucks")]),
    ("i paid two times", []),
    # dates and times
    ("it happened on march third", [("date", "march 3", "march third")]),
    ("on the fifth of june", [("date", "june 5", "the fifth of june")]),
    ("on 03/14/2024", [("date", "03/14/2024", "03/14/2024")]),
    ("two weeks ago", [("date", "two weeks ago", "two weeks ago")]),
    ("yesterday at 3pm", [("date", "yesterday", "yesterday"), ("time", "3 pm", "3pm")]),
    ("at three thirty p m", [("time", "3:30 pm", "three thirty p m")]),
    ("ten in the morning", [("time", "10 am", "ten in the morning")]),
    ("may i ask who is calling", []),
    ("the first time i called", []),
    # account types
    ("my checking account", [("account_type", "checking account", "checking account")]),
    ("money from the savings", [("account_type", "savings account", "savings")]),
    ("i have a credit card i can use", [("account_type", "credit card", "credit card")]),
    ("upgrade to the business plan", [("account_type", "business plan", "business plan")]),
    # products, with aliases and ASR spacing
    ("the acme router  x2 keeps rebooting", [("product", "Acme Router X2", "acme router  x2")]),
    ("the skyline wallet app and the x two router", [("product", "Skyline Wallet", "skyline wallet"),
                                                     ("product", "Acme Router X2", "x two router")]),
    # nothing is read inside PII placeholders
    ("my card [CARD_NUMBER] and order [PHONE_NUMBER] on [DATE_OF_BIRTH]", []),
])
def test_extracts(text: str, expected: list[tuple[str, str, str]]) -> None:
    found = EntityExtractor(products=PRODUCTS).extract(text)
    assert [(e.type, e.value, text[e.start:e.end]) for e in found] == expected


def test_entities_never_overlap() -> None:
    text = "error code 401 on version 2.5.1, order 4521, charged $35 on march 3rd at 3pm"
    found = EntityExtractor().extract(text)
    assert [e.type for e in found] == ["error_code", "version", "order_number", "amount", "date", "time"]
    spans = sorted((e.start, e.end) for e in found)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize("products", [[""], {"Router": ["  "]}, [3]])
def test_bad_product_names_fail_at_construction(products: object) -> None:
    with pytest.raises(ConfigError, match="products"):
        EntityExtractor(products=products)  # type: ignore[arg-type]
