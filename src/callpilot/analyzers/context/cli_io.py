"""``callpilot intent``: classify JSON lines with a taxonomy, one answer line per input line.

Input lines are ``{"text": "..."}`` or ``{"segments": ["...", {"text": "...", "speaker": "customer"}, ...]}``
(an optional ``"id"`` is copied to the answer). The answer is ``{"intent": name, "confidence": x, "entities":
[{"type", "value", "start", "end"[, "segment"]}]}``; for segments the intent comes from the customer's segments
joined (all of them when no speaker is given) and each entity names its segment (index, or its
``segment_id``). A line that cannot be read gives ``{"error": "..."}`` and the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from callpilot.analyzers.context.analyzer import model_text
from callpilot.analyzers.context.classifier import IntentClassifier
from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.analyzers.context.taxonomy import load_taxonomy
from callpilot.embeddings.minilm import load_minilm

__all__ = ["IntentRunSummary", "run_intent_lines"]

_BATCH = 64


@dataclass(slots=True)
class IntentRunSummary:
    lines: int = 0
    errors: int = 0


@dataclass(slots=True)
class _Item:
    line: int
    ident: Any = None
    text: str = ""
    segments: list[tuple[Any, str]] = field(default_factory=list)  # (segment label, text) for entities
    error: str | None = None


def run_intent_lines(taxonomy_path: str | Path | None, lines_in: Iterable[str], out: TextIO, *,
                     model_path: str | Path | None = None,
                     products: Sequence[str] | Mapping[str, Sequence[str]] = ()) -> IntentRunSummary:
    """Answer every non-blank input line in order; a bad taxonomy or model raises ConfigError before any."""
    classifier = IntentClassifier(load_taxonomy(taxonomy_path), load_minilm(model_path))
    extractor = EntityExtractor(products=products)
    summary = IntentRunSummary()
    batch: list[_Item] = []
    for number, raw in enumerate(lines_in, start=1):
        if not raw.strip():
            continue
        batch.append(_parse(number, raw))
        if len(batch) >= _BATCH:
            _flush(batch, classifier, extractor, out, summary)
    _flush(batch, classifier, extractor, out, summary)
    return summary


def _parse(number: int, raw: str) -> _Item:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _Item(number, error=f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(data, dict):
        return _Item(number, error=f"line {number}: expected a JSON object with \"text\" or \"segments\"")
    item = _Item(number, ident=data.get("id"))
    if isinstance(data.get("text"), str):
        item.text, item.segments = data["text"], [(None, data["text"])]
        return item
    segments = data.get("segments")
    if not isinstance(segments, list) or not segments:
        item.error = f"line {number}: needs \"text\" (a string) or \"segments\" (a non-empty list)"
        return item
    customer: list[str] = []
    for index, seg in enumerate(segments):
        if isinstance(seg, str):
            item.segments.append((index, seg))
            customer.append(seg)
        elif isinstance(seg, dict) and isinstance(seg.get("text"), str):
            item.segments.append((seg.get("segment_id", index), seg["text"]))
            if seg.get("speaker", "customer") == "customer":
                customer.append(seg["text"])
        else:
            item.error = f"line {number}: segment {index} is neither a string nor an object with \"text\""
            return item
    item.text = ". ".join(customer) if customer else ". ".join(t for _, t in item.segments)
    return item


def _flush(batch: list[_Item], classifier: IntentClassifier, extractor: EntityExtractor, out: TextIO,
           summary: IntentRunSummary) -> None:
    good = [item for item in batch if item.error is None]
    predictions = iter(classifier.classify([model_text(item.text) for item in good]))
    for item in batch:
        summary.lines += 1
        answer: dict[str, Any] = {} if item.ident is None else {"id": item.ident}
        if item.error is not None:
            summary.errors += 1
            answer["error"] = item.error
        else:
            prediction = next(predictions)
            answer.update(intent=prediction.intent, confidence=prediction.confidence,
                          entities=_entities(item, extractor))
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    out.flush()
    batch.clear()


def _entities(item: _Item, extractor: EntityExtractor) -> list[dict[str, Any]]:
    found = []
    for label, text in item.segments:
        for e in extractor.extract(text):
            entry: dict[str, Any] = {"type": e.type, "value": e.value, "start": e.start, "end": e.end}
            if label is not None:
                entry["segment"] = label
            found.append(entry)
    return found
