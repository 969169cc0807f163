"""Validating a configuration list (intents of a taxonomy, fields of a CRM schema) entry by entry, so that the
error names the entry that is wrong ("bad field 3 ('amount'): type: unknown type ...")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from callpilot.core.errors import ConfigError

__all__ = ["describe_errors", "validate_entries"]

M = TypeVar("M", bound=BaseModel)


def describe_errors(exc: ValidationError, *, container: str = "",
                    message: Callable[[dict[str, Any]], str | None] | None = None) -> str:
    """``where: what`` for each error; ``container`` (the list's own key) is left out of the location, and
    ``message`` may reword an error (None keeps pydantic's)."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p != container) or "value"
        said = message(dict(err)) if message is not None else None
        parts.append(f"{where}: {said or err['msg']}")
    return "; ".join(parts)


def validate_entries(model: type[M], entries: Any, *, source: str, kind: str, expected: str,
                     describe: Callable[[ValidationError], str]) -> list[M]:
    """Each entry of ``entries`` as ``model``; ConfigError "{source}: bad {kind} N ('name'): ..." otherwise."""
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
        raise ConfigError(f"{source}: expected a list of {expected}, got {type(entries).__name__}")
    out = []
    for index, entry in enumerate(entries):
        label = f"{kind} {index + 1}"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label += f" ({entry['name']!r})"
        try:
            out.append(model.model_validate(entry))
        except ValidationError as exc:
            raise ConfigError(f"{source}: bad {label}: {describe(exc)}") from exc
    return out
