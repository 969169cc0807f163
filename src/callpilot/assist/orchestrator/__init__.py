"""The suggestion orchestrator: context -> queries -> retrieval -> answer cards -> clarifying questions."""

from callpilot.assist.orchestrator.analyzer import AssistAnalyzer

__all__ = ["AssistAnalyzer"]
