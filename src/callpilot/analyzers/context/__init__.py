"""The context analyzer: detected issue (intent), entities, and whether there is enough to search the KB."""

from callpilot.analyzers.context.analyzer import ContextAnalyzer
from callpilot.analyzers.context.classifier import IntentClassifier, IntentPrediction
from callpilot.analyzers.context.entities import ENTITY_TYPES, Entity, EntityExtractor
from callpilot.analyzers.context.taxonomy import DEFAULT_TAXONOMY, OTHER, Intent, Taxonomy, load_taxonomy

__all__ = [
    "DEFAULT_TAXONOMY",
    "ENTITY_TYPES",
    "OTHER",
    "ContextAnalyzer",
    "Entity",
    "EntityExtractor",
    "Intent",
    "IntentClassifier",
    "IntentPrediction",
    "Taxonomy",
    "load_taxonomy",
]
