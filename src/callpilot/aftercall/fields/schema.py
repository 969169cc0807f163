"""The CRM field schema: which values the after-call job fills in, as configuration.

A YAML file with a ``fields`` list (or the list itself)::

    fields:
      - name: payment_amount
        type: money            # string number money date time weekday enum boolean phone email address
        description: amount of the payment
        required: true          # a missing or uncertain value sends the call to review
      - name: account_type
        type: enum
        values: [checking, savings]
        ask: [which account]    # optional: more phrases an agent uses to ask for it

An unknown type, an enum without values, a duplicate name: a ConfigError naming the field, at start-up.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callpilot.core.entries import describe_errors, validate_entries
from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml

__all__ = ["PII_TYPES", "FieldSchema", "FieldSpec", "FieldType", "load_field_schema"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    TIME = "time"
    WEEKDAY = "weekday"
    ENUM = "enum"
    BOOLEAN = "boolean"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"


PII_TYPES = {FieldType.PHONE: "PHONE_NUMBER", FieldType.EMAIL: "EMAIL", FieldType.ADDRESS: "ADDRESS"}
"""Field types whose values are personal data: read from the PII vault, never from the (redacted) text."""


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: FieldType
    description: str = ""
    values: tuple[str, ...] = Field((), description="the allowed values of an enum")
    required: bool = False
    ask: tuple[str, ...] = Field((), description="phrases agents use to ask for it, beyond its name and description")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("a field name is a letter or '_' then letters, digits or '_' (at most 64)")
        return value

    @model_validator(mode="after")
    def _enum_values(self) -> FieldSpec:
        if self.type is FieldType.ENUM and not self.values:
            raise ValueError("an enum field needs values")
        if self.type is not FieldType.ENUM and self.values:
            raise ValueError(f"values are for enum fields, not {self.type.value}")
        if len({v.lower() for v in self.values}) != len(self.values):
            raise ValueError("enum values must be distinct")
        return self

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


class FieldSchema(BaseModel):
    model_config = ConfigDict(frozen=True)

    fields: tuple[FieldSpec, ...] = ()

    @field_validator("fields")
    @classmethod
    def _unique(cls, value: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
        names = [f.name for f in value]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"field name {name!r} is used twice")
        return value

    def get(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @classmethod
    def from_entries(cls, entries: Any, *, source: str = "field schema") -> FieldSchema:
        if isinstance(entries, dict):
            unknown = set(entries) - {"fields"}
            if unknown:
                raise ConfigError(f"{source}: unknown top-level keys {sorted(unknown)} (expected 'fields')")
            entries = entries.get("fields") or []
        specs = validate_entries(FieldSpec, entries, source=source, kind="field",
                                 expected="fields ({name, type, ...})", describe=_describe)
        try:
            return cls(fields=tuple(specs))
        except ValidationError as exc:
            raise ConfigError(f"{source}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return describe_errors(exc, container="fields", message=_unknown_type)


def _unknown_type(err: dict[str, Any]) -> str | None:
    if err["type"] == "enum":
        return f"unknown type {err.get('input')!r}; the types are {', '.join(t.value for t in FieldType)}"
    return None


def load_field_schema(path: str | Path | None) -> FieldSchema:
    """Read and check a field-schema file; None means no CRM fields."""
    if path is None:
        return FieldSchema()
    source = Path(path)
    return FieldSchema.from_entries(read_yaml(source, "field schema") or [], source=f"field schema {str(source)!r}")
