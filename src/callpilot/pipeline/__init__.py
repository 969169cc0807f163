"""Runs analyzers on new events: inline before the API answers, in the background after."""

from callpilot.pipeline.runner import AnalyzerRunner

__all__ = ["AnalyzerRunner"]
