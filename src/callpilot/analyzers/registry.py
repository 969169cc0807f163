"""Analyzer names -> classes: an explicit map, checked when the pipeline is built."""

from __future__ import annotations

from typing import Any

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.talk_stats import TalkStatsAnalyzer
from callpilot.core.errors import ConfigError

__all__ = ["ANALYZERS", "build_analyzers"]

ANALYZERS: dict[str, type[Analyzer]] = {
    TalkStatsAnalyzer.name: TalkStatsAnalyzer,
}


def build_analyzers(names: list[str], options: dict[str, dict[str, Any]],
                    registry: dict[str, type[Analyzer]] | None = None) -> list[Analyzer]:
    """Instantiate the named analyzers in order; an unknown name or bad option fails here, at start-up."""
    known = ANALYZERS if registry is None else registry
    built = []
    for name in names:
        cls = known.get(name)
        if cls is None:
            raise ConfigError(f"unknown analyzer {name!r} in pipeline settings (known: {', '.join(sorted(known))})")
        try:
            built.append(cls(**options.get(name, {})))
        except TypeError as exc:
            raise ConfigError(f"analyzer {name!r}: bad options in settings: {exc}") from exc
    if len({a.name for a in built}) != len(built):
        raise ConfigError(f"an analyzer is listed twice in the pipeline: {names}")
    return built
