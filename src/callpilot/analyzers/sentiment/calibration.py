"""The labelled calibration set and the measures a sentiment model is judged by on it.

Two splits of lower-case, mostly unpunctuated call utterances (see ``data/README.md``): ``dev``, which the call
lexicon and the neutral band were tuned on, and ``heldout``, which was written before the lexicon and never
used to change it. Labels are -1, 0 or 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from callpilot.analyzers.sentiment.model import SentimentModel

__all__ = ["SPLITS", "LabelledUtterance", "Measured", "label_of", "load_split", "measure", "score_split", "tune_band"]

Split = Literal["dev", "heldout"]
SPLITS: tuple[Split, ...] = ("dev", "heldout")
_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class LabelledUtterance:
    text: str
    label: int
    speaker: str
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Measured:
    """Three-way accuracy, macro-F1 and per-class recall at a neutral band; Pearson's r of scores and labels."""

    n: int
    accuracy: float
    macro_f1: float
    pearson: float
    band: float
    recall: dict[int, float]


def load_split(split: Split) -> list[LabelledUtterance]:
    items = []
    path = _DATA / f"calibration_{split}.jsonl"
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in (-1, 0, 1) or row.get("speaker") not in ("agent", "customer"):
            raise ValueError(f"{path.name} line {n}: label must be -1, 0 or 1 and speaker agent or customer")
        items.append(LabelledUtterance(row["text"], row["label"], row["speaker"], row.get("language", "en")))
    return items


def label_of(score: float, band: float) -> int:
    return 0 if abs(score) < band else (1 if score > 0 else -1)


def measure(scores: list[float], labels: list[int], band: float) -> Measured:
    predicted = [label_of(s, band) for s in scores]
    accuracy = sum(p == g for p, g in zip(predicted, labels, strict=True)) / len(labels)
    f1s, recall = [], {}
    for cls in (-1, 0, 1):
        tp = sum(p == cls == g for p, g in zip(predicted, labels, strict=True))
        fp = sum(p == cls != g for p, g in zip(predicted, labels, strict=True))
        fn = sum(g == cls != p for p, g in zip(predicted, labels, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        recall[cls] = round(tp / (tp + fn), 4) if tp + fn else 0.0
    pearson = float(np.corrcoef(scores, labels)[0, 1]) if len(set(scores)) > 1 else 0.0
    return Measured(len(labels), round(accuracy, 4), round(sum(f1s) / 3, 4), round(pearson, 4), band, recall)


def score_split(model: SentimentModel, items: list[LabelledUtterance]) -> tuple[list[float], list[int]]:
    return [model.score(item.text) for item in items], [item.label for item in items]


def tune_band(scores: list[float], labels: list[int]) -> float:
    """The neutral band (0.01 .. 0.6) with the best macro-F1 on these scores; the smallest on ties."""
    bands = [round(0.01 * k, 2) for k in range(1, 61)]
    return max(bands, key=lambda b: (measure(scores, labels, b).macro_f1, -b))
