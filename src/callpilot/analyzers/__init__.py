"""Analyzers: small plug-ins that turn a call's new facts into more facts."""

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.registry import ANALYZERS, build_analyzers

__all__ = ["ANALYZERS", "Analyzer", "build_analyzers"]
