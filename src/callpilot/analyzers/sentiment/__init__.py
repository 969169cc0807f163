"""Sentiment per segment and speaker, a smoothed call trajectory, and escalation and callback triggers.

The default model is VADER calibrated for call language (:class:`CalibratedVader`); the calibration data, its
labelling rules and the measured gain over raw VADER are described in ``data/README.md``.
"""

from callpilot.analyzers.sentiment.analyzer import MODELS, SentimentAnalyzer
from callpilot.analyzers.sentiment.lexicon import CallLexicon, load_lexicon
from callpilot.analyzers.sentiment.model import CalibratedVader, RawVader, ScoredText, SentimentModel

__all__ = ["MODELS", "CalibratedVader", "CallLexicon", "RawVader", "ScoredText", "SentimentAnalyzer",
           "SentimentModel", "load_lexicon"]
