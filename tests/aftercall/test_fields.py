"""The CRM field schema, the value readers, and slot filling on small calls (table-driven)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from callpilot.aftercall.fields.edits import normalize_edit
from callpilot.aftercall.fields.personal import normalize_personal
from callpilot.aftercall.fields.schema import FieldSchema, FieldSpec, FieldType, load_field_schema
from callpilot.aftercall.fields.values import canonical_time, resolve_date
from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import ConfigError, InvalidInput
from tests.aftercall.fixtures import VAULT_KEY, analyze, batch, transcript


@pytest.mark.parametrize(("entries", "message"), [
    ([{"name": "amount", "type": "currency"}], "unknown type 'currency'"),
    ([{"name": "plan", "type": "enum"}], "an enum field needs values"),
    ([{"name": "plan", "type": "string", "values": ["a"]}], "values are for enum fields"),
    ([{"name": "x", "type": "string"}, {"name": "x", "type": "date"}], "'x' is used twice"),
    ([{"name": "two words", "type": "string"}], "field 1 ('two words')"),
    ([{"type": "string"}], "name: Field required"),
    ({"fieldz": []}, "unknown top-level keys"),
    ("nope", "expected a list of fields"),
])
def test_bad_schemas_fail_naming_the_field(entries: object, message: str) -> None:
    with pytest.raises(ConfigError, match="field schema") as error:
        FieldSchema.from_entries(entries)
    assert message in str(error.value)


def test_schema_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("fields:\n  - {name: amount, type: money, required: true}\n  - {name: day, type: weekday}\n")
    schema = load_field_schema(path)
    assert [(f.name, f.type, f.required) for f in schema.fields] == [
        ("amount", FieldType.MONEY, True), ("day", FieldType.WEEKDAY, False)]
    with pytest.raises(ConfigError, match="does not exist"):
        load_field_schema(tmp_path / "missing.yaml")


TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize(("said", "iso"), [
    ("tomorrow", "2026-11-19"), ("friday", "2026-11-20"), ("this friday", "2026-11-20"),
    ("next friday", "2026-11-20"), ("wednesday", "2026-11-25"), ("last monday", "2026-11-16"),
    ("november 22", "2026-11-22"), ("january 5", "2027-01-05"), ("march 3 2025", "2025-03-03"),
    ("the 25th", "2026-11-25"), ("the 3rd", "2026-12-03"), ("the twenty first", "2026-11-21"),
    ("11/30", "2026-11-30"), ("2026-12-01", "2026-12-01"), ("next week", None), ("february 30", None),
])
def test_dates_resolve_against_the_call_date(said: str, iso: str | None) -> None:
    assert resolve_date(said, TODAY) == iso


@pytest.mark.parametrize(("said", "hhmm"), [
    ("2:30 pm", "14:30"), ("2 pm", "14:00"), ("10 am", "10:00"), ("12 pm", "12:00"), ("12 am", "00:00"),
    ("noon", "12:00"), ("4 o'clock", "16:00"), ("9 o'clock", "09:00"), ("17:45", "17:45"), ("25:00", None),
])
def test_times_are_24_hour(said: str, hhmm: str | None) -> None:
    assert canonical_time(said) == hhmm


@pytest.mark.parametrize(("kind", "raw", "normal"), [
    (FieldType.PHONE, "five five five, two one two, zero one four two", "5552120142"),
    (FieldType.PHONE, "+1 (555) 212-0142", "5552120142"),
    (FieldType.EMAIL, "j dot rivera at example dot com", "j.rivera@example.com"),
    (FieldType.EMAIL, "d e v dot p a t e l at example dot org", "dev.patel@example.org"),
    (FieldType.EMAIL, "Sam.W@Example.com", "sam.w@example.com"),
    (FieldType.EMAIL, "m reyes eighty eight at example dot org", "mreyes88@example.org"),
    (FieldType.EMAIL, "g park seven zero at example dot com", "gpark70@example.com"),
    (FieldType.EMAIL, "j p marsh all together at example dot org", "jpmarsh@example.org"),
])
def test_personal_values_are_normalised(kind: FieldType, raw: str, normal: str) -> None:
    assert normalize_personal(kind, raw) == normal


@pytest.mark.parametrize(("spec", "value", "out"), [
    (FieldSpec(name="a", type=FieldType.MONEY), "1,250", "$1250.00"),
    (FieldSpec(name="a", type=FieldType.MONEY), 84.5, "$84.50"),
    (FieldSpec(name="t", type=FieldType.TIME), "2:30 pm", "14:30"),
    (FieldSpec(name="d", type=FieldType.WEEKDAY), "tuesday", "Tuesday"),
    (FieldSpec(name="e", type=FieldType.ENUM, values=("Checking", "Savings")), "savings", "Savings"),
    (FieldSpec(name="b", type=FieldType.BOOLEAN), False, False),
    (FieldSpec(name="p", type=FieldType.PHONE), "555 212 0142", "[PHONE_NUMBER]"),
    (FieldSpec(name="x", type=FieldType.DATE), None, None),
])
def test_reviewer_values_are_normalised(spec: FieldSpec, value: object, out: object) -> None:
    assert normalize_edit(spec, value) == out  # type: ignore[arg-type]


@pytest.mark.parametrize(("spec", "value"), [
    (FieldSpec(name="a", type=FieldType.MONEY), "lots"),
    (FieldSpec(name="d", type=FieldType.DATE), "next friday"),
    (FieldSpec(name="e", type=FieldType.ENUM, values=("a", "b")), "c"),
    (FieldSpec(name="b", type=FieldType.BOOLEAN), "yes"),
    (FieldSpec(name="n", type=FieldType.NUMBER), True),
])
def test_bad_reviewer_values_name_the_field(spec: FieldSpec, value: object) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_edit(spec, value)  # type: ignore[arg-type]
    assert error.value.field == f"fields.{spec.name}"


CASES = {
    "asked then answered a turn later": (
        [("agent", "how much would you like to pay today"), ("customer", "um two hundred fifty dollars"),
         ("agent", "and from checking or savings"), ("customer", "savings please")],
        {"payment_amount": "$250.00", "account_type": "savings"}),
    "a correction in the answer wins": (
        [("agent", "how much would you like to pay"), ("customer", "two hundred, no wait, make that three hundred")],
        {"payment_amount": "$300.00"}),
    "a correction a few turns later wins": (
        [("agent", "when should the payment go out"), ("customer", "the first of next month"),
         ("agent", "okay the first of december"),
         ("customer", "oh wait can we do this friday instead")],
        {"payment_date": "2026-11-20"}),
    "a confirmed read-back settles an ambiguous amount": (
        [("agent", "how much are we sending"), ("customer", "twelve fifty"),
         ("agent", "twelve dollars and fifty cents"), ("customer", "yep")],
        {"payment_amount": "$12.50"}),
    "a value the agent proposes and the customer accepts": (
        [("agent", "the technician can come at two thirty pm for the visit, does that time work"),
         ("customer", "yes that works")],
        {"visit_time": "14:30"}),
    "yes to the field's own question": (
        [("agent", "would you like the confirmation emailed"), ("customer", "yes please"),
         ("agent", "and do you want to turn on autopay"), ("customer", "no thanks")],
        {"autopay": False}),
    "a read-back the customer corrects": (
        [("agent", "what's the amount"), ("customer", "the same as last month"),
         ("agent", "four hundred eighty seven dollars and fifty cents"),
         ("customer", "oh wait no, it went up, it's four ninety two fifty now")],
        {"payment_amount": "$492.50"}),
    "a name the customer gives when asked": (
        [("agent", "who's the payment going to"), ("customer", "it's northside electric")],
        {"payee": "Northside Electric"}),
    "a name the agent repeats": (
        [("customer", "i want to pay my water bill, the cedar valley water one"),
         ("agent", "sure, i see cedar valley water set up for payments, how much")],
        {"payee": "Cedar Valley Water"}),
    "not discussed stays empty": (
        [("agent", "thanks for calling how can i help"), ("customer", "just checking my balance")],
        {"payment_amount": None, "payment_date": None, "autopay": None}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_slot_filling(tmp_path: Path, case: str) -> None:
    turns, expected = CASES[case]
    _state, analysis = await analyze(batch(tmp_path), transcript(*turns))
    for name, value in expected.items():
        result = analysis["fields"][name]
        assert result["value"] == value, (name, result)
        if value is not None:
            assert result["evidence"], "every value cites its segments"
            assert result["confidence"] >= (0.6 if "repeats" in case else 0.8)


async def test_personal_values_come_from_the_vault_never_the_text(tmp_path: Path) -> None:
    b = batch(tmp_path)
    state, analysis = await analyze(b, transcript(
        ("agent", "what's the best callback number"), ("customer", "it's five five five two one two zero one four two"),
        ("agent", "and an email for the receipt"), ("customer", "j dot rivera at example dot com")))
    phone, email = analysis["fields"]["callback_number"], analysis["fields"]["email"]
    assert phone["value"] == "[PHONE_NUMBER]" and email["value"] == "[EMAIL]"
    vault = Vault(VAULT_KEY)
    assert vault.open(phone["sealed"]) == "5552120142"
    assert vault.open(email["sealed"]) == "j.rivera@example.com"
    assert "rivera" not in str(state.segments) and "rivera" not in str(analysis)


async def test_declining_is_a_reason_not_a_value(tmp_path: Path) -> None:
    _state, analysis = await analyze(batch(tmp_path), transcript(
        ("agent", "can i get an email for the confirmation"), ("customer", "i'd rather not give out my email")))
    assert analysis["fields"]["email"]["value"] is None
    assert "declined" in analysis["fields"]["email"]["note"]


async def test_a_required_field_below_the_threshold_goes_to_review(tmp_path: Path) -> None:
    _state, analysis = await analyze(batch(tmp_path), transcript(
        ("agent", "thanks for calling"), ("customer", "i want to pay a bill of two hundred dollars")))
    amount = analysis["fields"]["payment_amount"]
    assert amount["value"] == "$200.00" and amount["confidence"] < 0.8
    assert analysis["needs_review"]
    assert any(r.startswith("fields.payment_amount: confidence") for r in analysis["review_reasons"])


async def test_meaning_decides_between_fields_of_one_type(tmp_path: Path) -> None:
    two_dates = """
fields:
  - {name: payment_date, type: date, description: when the payment is made or scheduled}
  - {name: visit_date, type: date, description: date of the service appointment or technician visit}
"""
    b = batch(tmp_path, fields=two_dates)
    _state, analysis = await analyze(b, transcript(
        ("customer", "my kitchen outlets stopped working"),
        ("agent", "i can get an electrician out to your house on friday, does that work"),
        ("customer", "yes friday works")))
    assert analysis["fields"]["visit_date"]["value"] == "2026-11-20"
    assert analysis["fields"]["payment_date"]["value"] is None


async def test_a_phone_number_read_out_in_pieces_is_delivered_whole(tmp_path: Path) -> None:
    _state, analysis = await analyze(batch(tmp_path), transcript(
        ("agent", "what's the best callback number"), ("customer", "call me back on five five five"),
        ("customer", "two one two"), ("customer", "zero one four two")))
    phone = analysis["fields"]["callback_number"]
    assert Vault(VAULT_KEY).open(phone["sealed"]) == "5552120142"
    assert phone["confidence"] >= 0.8 and phone["note"] is None
