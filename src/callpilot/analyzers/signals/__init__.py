"""Conversation signals: repeated questions, frustration, requests for a person, confusion, long silences or
holds, and the agent talking over the customer. Phrase sets per language are YAML files in this package."""

from callpilot.analyzers.signals.analyzer import SignalsAnalyzer, Similarity
from callpilot.analyzers.signals.options import ACTIONS, SignalsOptions

__all__ = ["ACTIONS", "SignalsAnalyzer", "SignalsOptions", "Similarity"]
