"""Compliance rules: YAML rulesets of prohibited phrases, required statements and ordering constraints."""

from callpilot.analyzers.rules.analyzer import RulesAnalyzer
from callpilot.analyzers.rules.model import Rule, Ruleset, Window, load_ruleset, load_rulesets, shipped_rulesets

__all__ = ["Rule", "RulesAnalyzer", "Ruleset", "Window", "load_ruleset", "load_rulesets", "shipped_rulesets"]
