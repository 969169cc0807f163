"""Analyzer names -> classes: an explicit map, checked when the pipeline is built."""

from __future__ import annotations

from typing import Any

from callpilot.aftercall.analyzer import AfterCallAnalyzer
from callpilot.aftercall.callback import CallbackScheduler
from callpilot.analyzers.base import Analyzer, SegmentRewriter
from callpilot.analyzers.context import ContextAnalyzer
from callpilot.analyzers.pii.analyzer import PiiAnalyzer
from callpilot.analyzers.rules import RulesAnalyzer
from callpilot.analyzers.sentiment import SentimentAnalyzer
from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.analyzers.talk_stats import TalkStatsAnalyzer
from callpilot.assist.orchestrator import AssistAnalyzer
from callpilot.assist.orchestrator.llm_analyzer import AssistLlmAnalyzer
from callpilot.core.errors import ConfigError

__all__ = ["ANALYZERS", "build_analyzers"]

ANALYZERS: dict[str, type[Analyzer]] = {
    AfterCallAnalyzer.name: AfterCallAnalyzer,
    AssistAnalyzer.name: AssistAnalyzer,
    AssistLlmAnalyzer.name: AssistLlmAnalyzer,
    CallbackScheduler.name: CallbackScheduler,
    ContextAnalyzer.name: ContextAnalyzer,
    PiiAnalyzer.name: PiiAnalyzer,
    RulesAnalyzer.name: RulesAnalyzer,
    SentimentAnalyzer.name: SentimentAnalyzer,
    SignalsAnalyzer.name: SignalsAnalyzer,
    TalkStatsAnalyzer.name: TalkStatsAnalyzer,
}


def build_analyzers(names: list[str], options: dict[str, dict[str, Any]],
                    registry: dict[str, type[Analyzer]] | None = None, *, inline: bool = True) -> list[Analyzer]:
    """Instantiate the named analyzers in order; an unknown name or bad option fails here, at start-up.
    Analyzers that rewrite segments (PII redaction) must come first, and only in the inline chain."""
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
    rewriters = [i for i, a in enumerate(built) if isinstance(a, SegmentRewriter)]
    if rewriters and (not inline or rewriters != list(range(len(rewriters)))):
        raise ConfigError(
            f"{built[rewriters[0]].name!r} rewrites segments before they are stored: it must come first in "
            "pipeline.inline (and cannot run in the background)"
        )
    return built
