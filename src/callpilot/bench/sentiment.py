"""Sentiment benchmark: raw VADER vs the call-calibrated model on the labelled calibration set, and latency.

Quality is measured per split (``dev``: the lexicon was tuned on it; ``heldout``: written after the lexicon was
frozen and never used to change it, so its numbers are the ones to quote). Raw VADER is shown with its own
neutral band (0.05) and with the band that suits it best on ``dev``, so the gain is not just a threshold.
Latency is the analyzer's ``analyze`` per final segment, state folded between segments as in the pipeline.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from callpilot.analyzers.sentiment import CalibratedVader, RawVader, SentimentAnalyzer
from callpilot.analyzers.sentiment.calibration import (
    SPLITS,
    LabelledUtterance,
    Measured,
    load_split,
    measure,
    score_split,
    tune_band,
)
from callpilot.domain.call import CallState
from callpilot.domain.events import SegmentReceived

__all__ = ["measure_sentiment", "sentiment_markdown"]


def _quality() -> dict[str, dict[str, Measured]]:
    raw, calibrated = RawVader(), CalibratedVader()
    dev = load_split("dev")
    raw_dev_band = tune_band(*score_split(raw, dev))
    heldout = load_split("heldout")
    splits: dict[str, list[LabelledUtterance]] = {
        "dev": dev, "heldout": heldout, "heldout (English only)": [u for u in heldout if u.language == "en"],
    }
    results: dict[str, dict[str, Measured]] = {}
    for split, items in splits.items():
        raw_scores, labels = score_split(raw, items)
        cal_scores, _ = score_split(calibrated, items)
        results[split] = {
            f"VADER (band {raw.neutral_band})": measure(raw_scores, labels, raw.neutral_band),
            f"VADER (band {raw_dev_band}, best on dev)": measure(raw_scores, labels, raw_dev_band),
            f"CalibratedVader (band {calibrated.neutral_band})": measure(cal_scores, labels, calibrated.neutral_band),
        }
    return results


async def _latency(texts: list[str], repeats: int) -> dict[str, float]:
    """Microseconds per ``analyze`` call, with the state advanced by the analyzer's own events."""
    analyzer = SentimentAnalyzer()
    samples: list[float] = []
    for _ in range(repeats):
        call = CallState(call_id="bench")
        for i, text in enumerate(texts):
            event = SegmentReceived(segment_id=f"s{i}", speaker="customer" if i % 2 else "agent", text=text,
                                    start=float(i), end=i + 0.9)
            began = time.perf_counter_ns()
            out = await analyzer.analyze(call, event)
            samples.append((time.perf_counter_ns() - began) / 1000)
            for produced in (event, *out):
                call.record(produced)
    values = np.array(samples)
    return {"segments": len(samples), "p50_us": round(float(np.percentile(values, 50)), 1),
            "p99_us": round(float(np.percentile(values, 99)), 1), "mean_us": round(float(values.mean()), 1)}


def _raw_vader_us(texts: list[str]) -> float:
    raw = RawVader()
    began = time.perf_counter_ns()
    for text in texts:
        raw.score(text)
    return round((time.perf_counter_ns() - began) / 1000 / len(texts), 1)


def measure_sentiment(*, repeats: int = 5) -> dict[str, Any]:
    """Quality per split and model, and latency; JSON-able."""
    texts = [u.text for split in SPLITS for u in load_split(split)]
    quality = _quality()
    return {
        "quality": {split: {name: {"n": m.n, "accuracy": m.accuracy, "macro_f1": m.macro_f1,
                                   "pearson": m.pearson, "band": m.band,
                                   "recall": {str(k): v for k, v in m.recall.items()}} for name, m in models.items()}
                    for split, models in quality.items()},
        "latency": asyncio.run(_latency(texts, repeats)) | {"raw_vader_mean_us": _raw_vader_us(texts)},
    }


def sentiment_markdown(result: dict[str, Any]) -> list[str]:
    """The benchmark as a docs/benchmarks.md section."""
    lines = ["## Sentiment", "",
             "Three-way label (negative / neutral / positive) on the labelled call utterances in "
             "`callpilot/analyzers/sentiment/data/` (see its README); Pearson's r is between the score and the "
             "label. `heldout` was written after the call lexicon was frozen; quote those numbers.", "",
             "| split | model | n | accuracy | macro-F1 | Pearson r | recall neg / neu / pos |",
             "|---|---|---:|---:|---:|---:|---|"]
    for split, models in result["quality"].items():
        for name, m in models.items():
            lines.append(f"| {split} | {name} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} "
                         f"| {m['pearson']:.3f} | {m['recall']['-1']:.2f} / {m['recall']['0']:.2f} / "
                         f"{m['recall']['1']:.2f} |")
    lat = result["latency"]
    lines += ["", f"Analyzer latency per segment ({lat['segments']} segments, state folded between them): "
                  f"p50 {lat['p50_us']:.0f} µs, p99 {lat['p99_us']:.0f} µs, mean {lat['mean_us']:.0f} µs "
                  f"(raw VADER alone: {lat['raw_vader_mean_us']:.0f} µs a segment).", ""]
    return lines
