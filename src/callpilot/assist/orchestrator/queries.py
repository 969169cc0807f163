"""Query formulation: an entity query (issue + error code + product + version) and a semantic query from the
customer's recent words. Both come from redacted text only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from callpilot.analyzers.context.analyzer import content_words, model_text
from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.domain.call import Segment

__all__ = ["Context", "formulate", "read_context"]

_QUERY_ENTITIES = ("error_code", "product", "version", "account_type")
_SEMANTIC_WORDS = 28  # about 40 wordpieces: the query's embedding cost grows with its length


@dataclass(frozen=True)
class Context:
    """What the orchestrator knows of the call: from the context analyzer, or the fallback's guess."""

    issue: str | None
    confidence: float
    sufficient: bool
    entities: list[dict[str, Any]] = field(default_factory=list)
    search_query: str | None = None
    source: str = "context"

    @property
    def entity_types(self) -> set[str]:
        return {e["type"] for e in self.entities}


def read_context(analyzers: dict[str, Any], recent: Sequence[Segment], extractor: EntityExtractor) -> Context:
    """The context analyzer's conclusions when it runs; otherwise entities read here and sufficiency by the
    amount the customer has said (the fallback when the context analyzer is not in the pipeline)."""
    ctx = analyzers.get("context")
    if ctx:
        return Context(issue=ctx.get("detected_issue"), confidence=float(ctx.get("confidence", 0.0)),
                       sufficient=bool(ctx.get("has_sufficient_context")),
                       entities=list(ctx.get("detected_entities", [])), search_query=ctx.get("search_query"))
    entities = [{"type": e.type, "value": e.value} for s in recent for e in extractor.extract(s.text)]
    words = sum(len(content_words(s.text)) for s in recent)
    return Context(issue=None, confidence=min(1.0, words / 12), sufficient=words >= 6, entities=entities,
                   source="fallback")


def formulate(context: Context, recent: Sequence[Segment]) -> list[str]:
    """Distinct queries, the most specific first."""
    queries: list[str] = []
    values = [("version " + e["value"]) if e["type"] == "version" else e["value"]
              for e in context.entities if e["type"] in _QUERY_ENTITIES]
    if values:
        head = context.issue.replace("_", " ") if context.issue else ""
        queries.append(" ".join([head, *dict.fromkeys(values)]).strip())
    words = model_text(" ".join(s.text for s in recent)).split()
    if words:
        queries.append(" ".join(words[-_SEMANTIC_WORDS:]))
    if context.search_query:
        queries.append(context.search_query)
    seen: set[str] = set()
    distinct = []
    for query in queries:
        key = query.lower()
        if key not in seen and content_words(query):
            seen.add(key)
            distinct.append(query)
    return distinct
