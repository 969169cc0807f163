"""A reviewer's value for a field, checked and normalised like the filler's (money "$1250.00", dates ISO, ...),
so an edit cannot put a value into the CRM that the schema would not produce."""

from __future__ import annotations

import re
from datetime import date

from callpilot.aftercall.fields.schema import PII_TYPES, FieldSpec, FieldType
from callpilot.aftercall.fields.values import canonical_time
from callpilot.core.errors import InvalidInput
from callpilot.domain.analysis import FieldValue

__all__ = ["normalize_edit"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def normalize_edit(spec: FieldSpec, value: FieldValue) -> FieldValue:
    """The canonical value, or InvalidInput naming ``fields.<name>`` and what is wrong. None clears it."""
    if value is None:
        return None
    where = f"fields.{spec.name}"
    problem = _problem(spec, value)
    if problem is not None:
        raise InvalidInput(f"{spec.name} ({spec.type.value}): {problem}", field=where)
    return _canonical(spec, value)


def _problem(spec: FieldSpec, value: FieldValue) -> str | None:
    kind = spec.type
    if kind is FieldType.BOOLEAN:
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(value, bool):
        return "true/false is only for boolean fields"
    if kind is FieldType.NUMBER:
        return None if isinstance(value, int | float) else "expected a number"
    if kind is FieldType.MONEY:
        text = str(value).strip().lstrip("$€£").replace(",", "")
        return None if re.fullmatch(r"\d+(?:\.\d{1,2})?", text) else "expected an amount such as 1250.00 or $84.99"
    if not isinstance(value, str) or not value.strip():
        return "expected a non-empty string"
    if kind is FieldType.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "expected an ISO date (YYYY-MM-DD)"
    if kind is FieldType.TIME and canonical_time(value) is None:
        return "expected a time such as 14:30 or 2:30 pm"
    if kind is FieldType.WEEKDAY and value.strip().capitalize() not in _WEEKDAYS:
        return f"expected one of {', '.join(_WEEKDAYS)}"
    if kind is FieldType.ENUM and value.strip().lower() not in {v.lower() for v in spec.values}:
        return f"expected one of {', '.join(spec.values)}"
    return None


def _canonical(spec: FieldSpec, value: FieldValue) -> FieldValue:
    kind = spec.type
    if kind is FieldType.MONEY:
        text = str(value).strip()
        symbol = text[0] if text[0] in "$€£" else "$"
        return f"{symbol}{float(text.lstrip('$€£').replace(',', '')):.2f}"
    if kind is FieldType.TIME:
        return canonical_time(str(value))
    if kind is FieldType.WEEKDAY:
        return str(value).strip().capitalize()
    if kind is FieldType.ENUM:
        return next(v for v in spec.values if v.lower() == str(value).strip().lower())
    if kind is FieldType.DATE:
        return date.fromisoformat(str(value)).isoformat()  # "20261120" -> "2026-11-20"
    if kind in PII_TYPES:
        return f"[{PII_TYPES[kind]}]"  # the raw value is sealed by the caller; the analysis holds the placeholder
    return value.strip() if isinstance(value, str) else value
