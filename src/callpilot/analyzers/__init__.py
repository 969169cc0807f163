"""Analyzers: small plug-ins that turn a call's new facts into more facts.

The name -> class map lives in :mod:`callpilot.analyzers.registry`; it is not imported here, because analyzers
outside this package (the assist orchestrator) import :mod:`callpilot.analyzers.base` and are listed there.
"""

from callpilot.analyzers.base import Analyzer

__all__ = ["Analyzer"]
