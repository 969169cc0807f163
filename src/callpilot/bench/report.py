"""docs/benchmarks.md and .json: one section per benchmark, each kept until that benchmark is run again.

Running one benchmark (``callpilot bench pii``) rewrites its own section and leaves the others as they were
measured, each with its own date and machine line, so the report never mixes a new number into an old table
without saying so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["SECTIONS", "update_report"]

# The sections, in the order the report shows them.
SECTIONS = ("pipeline", "inline", "rules", "signals", "sentiment", "pii", "intent", "retrieval", "assist",
            "aftercall", "delivery", "speech")

_HEADER = [
    "# Benchmarks",
    "",
    "Written by `callpilot bench` (`make bench`); do not edit by hand. Each section says when and on what it was "
    "measured; `callpilot bench SECTION` re-measures one section and keeps the others.",
    "",
]


def _machine_line(machine: dict[str, Any], smoke: bool) -> str:
    return (f"*Measured {machine['date']}" + (" (smoke run: too short to mean anything)" if smoke else "")
            + f" on {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, {machine['os']}; "
            f"Python {machine['python']}.*")


def update_report(path: Path, machine: dict[str, Any], sections: dict[str, tuple[list[str], Any]], *,
                  smoke: bool) -> None:
    """Replace ``sections`` (name -> (markdown lines, JSON-able data)) in the report at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data_path = path.with_suffix(".json")
    stored: dict[str, Any] = {}
    if data_path.is_file():
        try:
            stored = json.loads(data_path.read_text(encoding="utf-8")).get("sections", {})
        except (json.JSONDecodeError, AttributeError):
            stored = {}  # an old or broken file: start afresh rather than fail the run
    for name, (markdown, data) in sections.items():
        if name not in SECTIONS:
            raise ValueError(f"unknown benchmark section {name!r}")
        stored[name] = {"machine": machine, "smoke": smoke, "markdown": markdown, "data": data}
    lines = list(_HEADER)
    for name in SECTIONS:
        if name in stored:
            section = stored[name]
            lines += [*section["markdown"], _machine_line(section["machine"], section["smoke"]), ""]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    data_path.write_text(json.dumps({"sections": stored}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
