"""Naming two speaker clusters agent and customer, by evidence in what each says (roles.yaml), then by who
spoke first (agents usually open a call)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from callpilot.core.yamlfile import read_yaml
from callpilot.domain.events import Speaker

__all__ = ["assign_roles", "role_scores"]


@cache
def _cues() -> dict[str, list[tuple[str, float]]]:
    data: dict[str, Any] = read_yaml(Path(str(resources.files("callpilot.speech.diarization") / "roles.yaml")),
                                     "role cues")
    return {role: [(c["phrase"], float(c["weight"])) for c in data[role]] for role in ("agent", "customer")}


def role_scores(texts: Sequence[str]) -> float:
    """Agent evidence minus customer evidence over a speaker's utterances."""
    cues, score = _cues(), 0.0
    for text in texts:
        lowered = f" {text.lower()} "
        score += sum(w for phrase, w in cues["agent"] if f" {phrase} " in lowered)
        score -= sum(w for phrase, w in cues["customer"] if f" {phrase} " in lowered)
    return score


def assign_roles(labels: Sequence[int], texts: Sequence[str]) -> list[Speaker]:
    """Per utterance, the role of its cluster. Cluster 0 spoke first; it is the agent unless the evidence
    says the other cluster is more agent-like."""
    scores = {label: role_scores([t for lab, t in zip(labels, texts, strict=True) if lab == label])
              for label in set(labels)}
    agent = max(sorted(scores), key=lambda label: (scores[label], -label))
    return ["agent" if label == agent else "customer" for label in labels]
