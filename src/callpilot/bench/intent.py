"""Intent classification quality on BANKING77 and CLINC150, zero-shot and with examples, and encoder speed.

BANKING77 (``train.csv``: text,category) has no separate test split here, so accuracy comes from stratified
k-fold cross-validation: the examples are the training folds, the accuracy is on the held-out fold. CLINC150
(``data_dev.json``) gives train (examples), val (in-scope test), oos_train (calibration) and oos_val
(out-of-scope test, whose right answer is ``other``).

Zero-shot taxonomies are derived from the category names alone: "card_arrival" becomes the description "card
arrival" (underscores to spaces, nothing hand-written). Thresholds are reported twice: the classifier's
defaults, and calibrated on data the test never sees (CLINC150: a fifth of train plus oos_train).

Run: ``python -m callpilot.bench.intent [--data ../shared/data] [--smoke]``. The data sets are not shipped;
without them the function says so and returns None.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from callpilot.analyzers.context.classifier import IntentClassifier, calibrate_threshold
from callpilot.analyzers.context.taxonomy import OTHER, Intent, Taxonomy
from callpilot.embeddings.base import CachedEncoder, TextEncoder, Vectors
from callpilot.embeddings.minilm import load_minilm

__all__ = ["find_data_dir", "find_examples", "intent_markdown", "run_intent_bench"]

Labelled = list[tuple[str, str]]


def find_data_dir(data: Path | None = None) -> Path | None:
    """``data`` if given, else ``../shared/data`` beside the checkout or the working directory."""
    if data is not None:
        return data if data.is_dir() else None
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = root.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def find_examples(name: str) -> Path | None:
    """``examples/<name>`` of the checkout (or of the working directory); a wheel install has none."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (root / "examples" / name).is_dir():
            return root / "examples" / name
    return None


def _zero_shot_taxonomy(labels: Sequence[str]) -> Taxonomy:
    return Taxonomy(intents=tuple(Intent(name=n, description=n.replace("_", " ")) for n in sorted(set(labels))))


def _taxonomy_with_examples(examples: Labelled) -> Taxonomy:
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in examples:
        by_label[label].append(text)
    return Taxonomy(intents=tuple(Intent(name=n, description=n.replace("_", " "), examples=tuple(by_label[n]))
                                  for n in sorted(by_label)))


def _stratified_folds(labels: Sequence[str], folds: int, seed: int = 7) -> list[int]:
    rng = np.random.default_rng(seed)
    fold = [0] * len(labels)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for k, i in enumerate(members):
            fold[i] = k % folds
    return fold


def _closed_set(clf: IntentClassifier, vectors: Vectors) -> list[str]:
    """The best intent, never ``other`` (accuracy when every utterance is in scope)."""
    above = clf.scores(vectors) - clf.thresholds
    return [clf.names[int(i)] for i in above.argmax(axis=1)]


def _accuracy(predicted: Sequence[str], gold: Sequence[str]) -> float:
    return round(sum(p == g for p, g in zip(predicted, gold, strict=True)) / max(1, len(gold)), 4)


def _banking77(folder: Path, encoder: TextEncoder, *, folds: int, per_class: int | None) -> dict[str, Any]:
    rows = [(r["text"], r["category"]) for r in csv.DictReader((folder / "train.csv").open(encoding="utf-8"))]
    if per_class is not None:
        rows = _subsample(rows, per_class)
    texts, gold = [t for t, _ in rows], [c for _, c in rows]
    vectors = encoder.encode(texts)
    zero = IntentClassifier(_zero_shot_taxonomy(gold), encoder)
    zero_preds = [p.intent for p in zero.classify_vectors(vectors)]
    fold = _stratified_folds(gold, folds)
    closed, thresholded, other_rate = [], [], []
    for f in range(folds):
        train = [rows[i] for i in range(len(rows)) if fold[i] != f]
        test = [i for i in range(len(rows)) if fold[i] == f]
        clf = IntentClassifier(_taxonomy_with_examples(train), encoder)
        closed.append(_accuracy(_closed_set(clf, vectors[test]), [gold[i] for i in test]))
        preds = [p.intent for p in clf.classify_vectors(vectors[test])]
        thresholded.append(_accuracy(preds, [gold[i] for i in test]))
        other_rate.append(round(sum(p == OTHER for p in preds) / len(preds), 4))
    return {
        "utterances": len(rows), "intents": len(set(gold)), "folds": folds,
        "zero_shot": {"accuracy_closed_set": _accuracy(_closed_set(zero, vectors), gold),
                      "accuracy_default_threshold": _accuracy(zero_preds, gold),
                      "other_rate": round(sum(p == OTHER for p in zero_preds) / len(zero_preds), 4)},
        "examples_cv": {"accuracy_closed_set": round(statistics.mean(closed), 4),
                        "accuracy_closed_set_std": round(statistics.pstdev(closed), 4),
                        "accuracy_default_threshold": round(statistics.mean(thresholded), 4),
                        "other_rate": round(statistics.mean(other_rate), 4)},
    }


def _subsample(rows: Labelled, per_class: int) -> Labelled:
    kept: dict[str, int] = defaultdict(int)
    out = []
    for text, label in rows:
        if kept[label] < per_class:
            kept[label] += 1
            out.append((text, label))
    return out


def _open_set(clf: IntentClassifier, in_vectors: Vectors, in_gold: Sequence[str], oos_vectors: Vectors
              ) -> dict[str, float]:
    """In-scope accuracy (accepted with the right intent), closed-set accuracy, out-of-scope recall and
    precision of ``other``."""
    in_preds = [p.intent for p in clf.classify_vectors(in_vectors)]
    oos_preds = [p.intent for p in clf.classify_vectors(oos_vectors)]
    rejected_in = sum(p == OTHER for p in in_preds)
    rejected_oos = sum(p == OTHER for p in oos_preds)
    return {
        "in_scope_accuracy": _accuracy(in_preds, in_gold),
        "closed_set_accuracy": _accuracy(_closed_set(clf, in_vectors), in_gold),
        "oos_recall": round(rejected_oos / max(1, len(oos_preds)), 4),
        "oos_precision": round(rejected_oos / max(1, rejected_oos + rejected_in), 4),
    }


def _calibrated(clf: IntentClassifier, in_vectors: Vectors, in_gold: Sequence[str], oos_vectors: Vectors,
                *, zero_shot: bool) -> float:
    """The threshold (zero-shot or examples side) that maximises balanced accuracy on calibration data."""
    best_in = clf.scores(in_vectors).max(axis=1)
    correct = [p == g for p, g in zip(_closed_set(clf, in_vectors), in_gold, strict=True)]
    best_out = clf.scores(oos_vectors).max(axis=1)
    threshold = calibrate_threshold(best_in.tolist(), correct, best_out.tolist())
    if zero_shot:
        return threshold
    # Every intent has about as many examples, so one description weight w; solve for the examples side.
    w = float(np.mean(clf.description_weight))
    return round((threshold - w * clf.threshold_zero_shot) / (1 - w), 3)


def _clinc150(folder: Path, encoder: TextEncoder, *, per_class: int | None) -> dict[str, Any]:
    data = json.loads((folder / "data_dev.json").read_text(encoding="utf-8"))
    train: Labelled = [(t, c) for t, c in data["train"]]
    val: Labelled = [(t, c) for t, c in data["val"]]
    if per_class is not None:
        train, val = _subsample(train, per_class), _subsample(val, max(2, per_class // 5))
    oos_train, oos_val = [t for t, _ in data["oos_train"]], [t for t, _ in data["oos_val"]]
    v_val, v_oos = encoder.encode([t for t, _ in val]), encoder.encode(oos_val)
    v_oos_train = encoder.encode(oos_train)
    val_gold = [c for _, c in val]
    result: dict[str, Any] = {"train": len(train), "val": len(val), "oos_val": len(oos_val),
                              "oos_train": len(oos_train)}

    zero = IntentClassifier(_zero_shot_taxonomy(val_gold), encoder)
    v_train = encoder.encode([t for t, _ in train])
    t0 = _calibrated(zero, v_train, [c for _, c in train], v_oos_train, zero_shot=True)
    recalibrated = IntentClassifier(zero.taxonomy, encoder, threshold_zero_shot=t0)
    result["zero_shot"] = {
        "default": {"threshold": zero.threshold_zero_shot, **_open_set(zero, v_val, val_gold, v_oos)},
        "calibrated": {"threshold": t0, **_open_set(recalibrated, v_val, val_gold, v_oos)},
    }

    fit, held = _split_for_calibration(train)
    calibrating = IntentClassifier(_taxonomy_with_examples(fit), encoder)
    t1 = _calibrated(calibrating, encoder.encode([t for t, _ in held]), [c for _, c in held], v_oos_train,
                     zero_shot=False)
    taxonomy = _taxonomy_with_examples(train)
    default = IntentClassifier(taxonomy, encoder)
    result["examples"] = {"default": {"threshold": default.threshold_examples,
                                      **_open_set(default, v_val, val_gold, v_oos)},
                          "calibrated": {"threshold": t1, **_open_set(
                              IntentClassifier(taxonomy, encoder, threshold_examples=t1), v_val, val_gold, v_oos)}}
    return result


def _split_for_calibration(train: Labelled) -> tuple[Labelled, Labelled]:
    """Four fifths of each intent's examples to fit, one fifth to calibrate against."""
    fold = _stratified_folds([c for _, c in train], 5, seed=11)
    return ([r for r, f in zip(train, fold, strict=True) if f != 0],
            [r for r, f in zip(train, fold, strict=True) if f == 0])


def _encoder_speed(encoder: TextEncoder, texts: Sequence[str], repeats: int) -> dict[str, float]:
    """Batch-1 latency for 10-30 token sentences (as a customer segment is embedded inline)."""
    tokenizer = getattr(encoder, "tokenizer", None)
    chosen = [t for t in texts if tokenizer is None or 10 <= len(tokenizer.encode(t).ids) <= 30][:repeats]
    timings = []
    for text in chosen:
        started = time.perf_counter()
        encoder.encode([text])
        timings.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return {"sentences": len(timings), "p50_ms": round(q[49], 2), "p99_ms": round(q[98], 2)}


def run_intent_bench(data: Path | None = None, *, smoke: bool = False, folds: int = 5
                     ) -> tuple[dict[str, Any], list[str]] | None:
    """Measure everything; None (after saying why) when the data sets are not there."""
    folder = find_data_dir(data)
    if folder is None or not (folder / "banking77" / "train.csv").is_file() \
            or not (folder / "clinc150" / "data_dev.json").is_file():
        typer.echo(f"intent: data sets not found ({data or '../shared/data'}: banking77/train.csv and "
                   "clinc150/data_dev.json); skipped")
        return None
    model = load_minilm()
    encoder = CachedEncoder(model, size=1_000_000)  # every utterance is embedded once per run
    started = time.perf_counter()
    result: dict[str, Any] = {
        "banking77": _banking77(folder / "banking77", encoder, folds=2 if smoke else folds,
                                per_class=10 if smoke else None),
        "clinc150": _clinc150(folder / "clinc150", encoder, per_class=10 if smoke else None),
    }
    texts = [t for t, _ in json.loads((folder / "clinc150" / "data_dev.json").read_text())["val"]]
    result["encoder_batch1"] = _encoder_speed(model, texts[::7], 30 if smoke else 300)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result, intent_markdown(result)


def intent_markdown(result: dict[str, Any]) -> list[str]:
    b, c, speed = result["banking77"], result["clinc150"], result["encoder_batch1"]
    lines = [
        "## Intent classification (context analyzer)", "",
        "all-MiniLM-L6-v2 embeddings (numpy encoder); zero-shot descriptions are the category names with "
        "underscores as spaces. BANKING77: stratified cross-validation, examples from the training folds. "
        "CLINC150: train as examples, val as test, oos_val must come out as `other`; calibrated thresholds "
        "come from a fifth of train and oos_train.", "",
        "| data set | mode | accuracy (closed set) | accuracy with `other` | OOS recall | OOS precision |",
        "|---|---|---|---|---|---|",
        f"| BANKING77 ({b['utterances']}, {b['intents']} intents) | zero-shot | "
        f"{b['zero_shot']['accuracy_closed_set']} | {b['zero_shot']['accuracy_default_threshold']} | | |",
        f"| BANKING77 | {b['folds']}-fold CV, examples | {b['examples_cv']['accuracy_closed_set']} "
        f"± {b['examples_cv']['accuracy_closed_set_std']} | {b['examples_cv']['accuracy_default_threshold']} | | |",
    ]
    for mode in ("zero_shot", "examples"):
        for which in ("default", "calibrated"):
            m = c[mode][which]
            lines.append(f"| CLINC150 ({c['val']} + {c['oos_val']} OOS) | {mode.replace('_', '-')}, {which} "
                         f"threshold {m['threshold']} | {m['closed_set_accuracy']} | {m['in_scope_accuracy']} | "
                         f"{m['oos_recall']} | {m['oos_precision']} |")
    lines += ["", f"Encoder, batch 1, 10-30 tokens ({speed['sentences']} sentences): p50 {speed['p50_ms']} ms, "
                  f"p99 {speed['p99_ms']} ms. Whole run: {result['seconds']} s.", ""]
    return lines


def main(data: Annotated[Path | None, typer.Option(help="folder with banking77/ and clinc150/")] = None,
         smoke: Annotated[bool, typer.Option(help="a small subsample, to check the harness")] = False,
         folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
         json_out: Annotated[Path | None, typer.Option("--json", help="also write the result here")] = None) -> None:
    measured = run_intent_bench(data, smoke=smoke, folds=folds)
    if measured is None:
        raise typer.Exit(1)
    result, markdown = measured
    typer.echo("\n".join(markdown))
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    typer.run(main)
