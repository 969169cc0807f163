"""Query formulation: an entity query (issue + error code + product + version) and a semantic query from the
customer's recent words. Both come from redacted text only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from callpilot.analyzers.context.analyzer import content_words, model_text
from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.domain.call import Segment

__all__ = ["Context", "Queries", "formulate", "read_context"]

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


@dataclass(frozen=True)
class Queries:
    """What one run searches with. ``semantic`` (the customer's recent words) is embedded and ranked by both
    rankers; ``entity`` (issue + error code + product + version) and the context analyzer's query go to BM25
    only: exact identifiers are what lexical search is for, and a bag of names embeds close to every article
    that names the product."""

    semantic: str | None
    entity: str | None
    context: str | None

    @property
    def embedded(self) -> str | None:
        """The query that is embedded: the customer's words, or the entity query when they said nothing
        searchable (a segment that was all placeholders)."""
        for query in (self.semantic, self.entity):
            if query and content_words(query):
                return query
        return None

    @property
    def all(self) -> list[str]:
        """Distinct queries, the embedded one first."""
        seen: set[str] = set()
        out = []
        for query in (self.embedded, self.semantic, self.entity, self.context):
            if query and query.lower() not in seen and content_words(query):
                seen.add(query.lower())
                out.append(query)
        return out

    @property
    def dense(self) -> int:
        return 1 if self.embedded else 0

    @property
    def highlight(self) -> str | None:
        """The query whose words pick the answering sentence: the entity query's error code or product name
        is the better guide to the sentence an agent needs."""
        return self.entity or self.semantic


def formulate(context: Context, recent: Sequence[Segment]) -> Queries:
    values = [("version " + e["value"]) if e["type"] == "version" else e["value"]
              for e in context.entities if e["type"] in _QUERY_ENTITIES]
    entity = None
    if values:
        head = context.issue.replace("_", " ") if context.issue else ""
        entity = " ".join([head, *dict.fromkeys(values)]).strip()
    words = model_text(" ".join(s.text for s in recent)).split()
    semantic = " ".join(words[-_SEMANTIC_WORDS:]) or None
    return Queries(semantic=semantic, entity=entity, context=context.search_query)
