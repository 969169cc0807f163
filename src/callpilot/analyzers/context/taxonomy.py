"""The intent taxonomy: the issues a contact center handles, each with a description and optional examples.

A taxonomy is configuration, a YAML list of ``{name, description, examples, entities}`` entries::

    - name: card_declined
      description: a card payment or withdrawal was refused
      examples: ["my card got declined at the store"]
      entities: [account_type]        # optional: entity types the agent should collect for this issue

It must work from descriptions alone (zero-shot) and gets better with examples. ``other`` is the answer when
nothing fits, so it cannot be an intent's name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callpilot.core.entries import describe_errors, validate_entries
from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml

__all__ = ["DEFAULT_TAXONOMY", "OTHER", "Intent", "Taxonomy", "load_taxonomy"]

OTHER = "other"
DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.yaml")
_NAME = re.compile(r"\S+")  # an identifier for configs and events; data sets use "Refund_not_showing_up", "x?"


class Intent(BaseModel):
    """One issue the classifier can answer with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=1000)
    examples: tuple[str, ...] = ()
    entities: tuple[str, ...] = Field((), description="entity types the agent should have before searching")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("no spaces in a name: use '_' (e.g. card_declined)")
        if value.lower() == OTHER:
            raise ValueError(f"{OTHER!r} is reserved for 'none of these'")
        return value

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        stripped = tuple(e.strip() for e in value)
        if any(not e for e in stripped):
            raise ValueError("examples must be non-empty strings")
        return stripped

    @property
    def label_text(self) -> str:
        """What the zero-shot classifier embeds: the name's words and the description."""
        words = self.name.replace("_", " ").replace("-", " ").lower()
        return self.description if words in self.description.lower() else f"{words}: {self.description}"


class Taxonomy(BaseModel):
    """At least two intents with unique names."""

    model_config = ConfigDict(frozen=True)

    intents: tuple[Intent, ...]

    @field_validator("intents")
    @classmethod
    def _unique(cls, value: tuple[Intent, ...]) -> tuple[Intent, ...]:
        if len(value) < 2:
            raise ValueError(f"a taxonomy needs at least 2 intents, got {len(value)}")
        seen: set[str] = set()
        for intent in value:
            if intent.name in seen:
                raise ValueError(f"intent name {intent.name!r} is used twice")
            seen.add(intent.name)
        return value

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.intents]

    def get(self, name: str) -> Intent | None:
        return next((i for i in self.intents if i.name == name), None)

    @classmethod
    def from_entries(cls, entries: Sequence[Any], *, source: str = "taxonomy") -> Taxonomy:
        """Validate raw entries (dicts), naming the bad entry in the error."""
        intents = validate_entries(Intent, entries, source=source, kind="intent entry",
                                   expected="intents ({name, description, examples})", describe=_describe)
        try:
            return cls(intents=tuple(intents))
        except ValidationError as exc:
            raise ConfigError(f"{source}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return describe_errors(exc, container="intents")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and check a taxonomy file; None means the contact-center taxonomy shipped with callpilot."""
    source = Path(path) if path is not None else DEFAULT_TAXONOMY
    data = read_yaml(source, "taxonomy file")
    return Taxonomy.from_entries(data if data is not None else [], source=f"taxonomy {str(source)!r}")
