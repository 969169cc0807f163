"""After-call work: summary quality (ROUGE on DialogSum against lead-3), field accuracy on calls with known
form values, and latency (the local engine per call; ``CallEnded`` to ``CallAnalyzed`` on the stream).

- **Summaries.** ``../shared/data/dialogsum`` (not shipped: the 500 dialogues of ``dialogsum.dev.jsonl``, one
  reference summary each in that file) is played as calls, #Person1# as the agent and everyone else as the
  customer, through the batch path of ``callpilot analyze --engine local`` (PII redaction first). The
  references name the speakers "#Person1#" and "#Person2#"; our summaries say "the agent" and "the
  customer", so those are written as the references' names before scoring (what a template with the
  speakers' names would do). Lead-3 is the dialogue's first three turns as they are. ROUGE-1/2/L F1 with
  Google's ``rouge-score`` (Porter stemming). Also scored without PII redaction, since redacting names
  ("[PERSON]") costs overlap with references that use them.
- **Fields.** ``bench/data/aftercall_calls.jsonl`` and ``aftercall_calls_dev2.jsonl`` (development: their
  failures shaped the rules) and ``aftercall_calls_heldout.jsonl`` (written after the rules were frozen): 12
  calls each, written for this benchmark by writers who had not seen the rules, with the correct value of each of
  the 12 fields of ``aftercall_fields.yaml`` (shipped). Exact match after the canonical forms;
  phone and email are compared after opening the vault. Reported per field type, with the wrong values
  given where none was expected, and the accuracy of the values confident enough to skip review.
- **Latency.** The local engine on a 10-minute call (the four sample calls joined to 600 s) and a 3-hour one;
  and the time from ``end_call`` returning to ``CallAnalyzed`` reaching the streams' hub, on the default
  runtime (SQLite), for the sample calls.

Run: ``callpilot bench aftercall`` or ``python -m callpilot.bench.aftercall [--smoke]``.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import typer

from callpilot.bench.intent import find_data_dir, find_examples
from callpilot.replay.transcript import Transcript, TranscriptSegment, load_transcript

__all__ = ["aftercall_markdown", "run_aftercall_bench"]

DATA = Path(__file__).with_name("data")
# (result key, calls file): two development sets whose failures shaped the slot filler's rules, and a held-out set
FIELD_SETS = (("fields", "aftercall_calls.jsonl"), ("fields_dev2", "aftercall_calls_dev2.jsonl"),
              ("fields_heldout", "aftercall_calls_heldout.jsonl"))
# the second development set as first measured, before its failures were studied (docs/aftercall.md)
DEV2_FIRST = "56.9% (33 of 58), 76.2% of the values that skip review correct"
TARGET_ENGINE_MS = 200.0
_ROLE_NAMES = [(re.compile(r"\bthe customer's\b", re.I), "#Person2#'s"), (re.compile(r"\bthe customer\b", re.I),
               "#Person2#"), (re.compile(r"\bthe agent's\b", re.I), "#Person1#'s"),
               (re.compile(r"\bthe agent\b", re.I), "#Person1#")]


def dialogsum_transcript(row: dict[str, Any]) -> Transcript:
    """A DialogSum dialogue as a call: #Person1# is the agent; a turn lasts as long as its words take."""
    segments, clock = [], 0.0
    for line in row["dialogue"].split("\n"):
        speaker, _, text = line.partition(":")
        if not text.strip():
            continue
        seconds = max(1.0, len(text.split()) / 2.5)
        segments.append(TranscriptSegment(speaker="agent" if speaker.strip() == "#Person1#" else "customer",
                                          text=text.strip(), start=round(clock, 2), end=round(clock + seconds, 2)))
        clock += seconds + 0.5
    return Transcript(call_id=row["fname"], segments=segments)


def _named(summary: str) -> str:
    for pattern, name in _ROLE_NAMES:
        summary = pattern.sub(name, summary)
    return summary


def _lead3(row: dict[str, Any]) -> str:
    return " ".join([line for line in row["dialogue"].split("\n") if line.strip()][:3])


async def _summaries(rows: list[dict[str, Any]], *, redact: bool) -> tuple[list[str], list[float]]:
    from callpilot.aftercall.batch import BatchAnalyzer
    from callpilot.core.settings import load_settings

    inline = None if redact else ["rules", "sentiment", "signals", "talk_stats"]
    settings = load_settings(None, **({"pipeline": {"inline": inline}} if inline else {}))
    batch = BatchAnalyzer.from_settings(settings)
    out, times = [], []
    for row in rows:
        _state, analysis, ms = await batch.analyze(dialogsum_transcript(row), call_id=row["fname"])
        out.append(_named(analysis["summary"]["text"]))
        times.append(ms)
    return out, times


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals: dict[str, float] = defaultdict(float)
    for prediction, reference in zip(predictions, references, strict=True):
        for name, score in scorer.score(reference, prediction).items():
            totals[name] += score.fmeasure
    return {name: round(total / len(predictions), 4) for name, total in totals.items()}


def _summary_quality(data: Path, limit: int | None) -> dict[str, Any]:
    rows = [json.loads(line) for line in (data / "dialogsum" / "dialogsum.dev.jsonl").read_text().splitlines()
            if line.strip()][:limit]
    references = [r["summary"] for r in rows]
    local, times = asyncio.run(_summaries(rows, redact=True))
    unredacted, _ = asyncio.run(_summaries(rows, redact=False))
    return {"dialogues": len(rows), "lead3": rouge([_lead3(r) for r in rows], references),
            "local": rouge(local, references), "local_without_redaction": rouge(unredacted, references),
            "engine_ms_p50": round(statistics.median(times), 2),
            "example": {"reference": references[0], "local": local[0]}}


# -- fields ---------------------------------------------------------------------------------------------------
def _comparable(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "phone":
        return re.sub(r"\D", "", str(value))[-10:]
    if kind in ("email", "string"):
        return str(value).strip().lower()
    if kind == "number":
        return float(value)
    return value


async def _field_accuracy(limit: int | None, calls_file: str = "aftercall_calls.jsonl") -> dict[str, Any]:
    from callpilot.aftercall.batch import BatchAnalyzer
    from callpilot.aftercall.fields.schema import load_field_schema
    from callpilot.core.settings import load_settings

    schema_path = DATA / "aftercall_fields.yaml"
    schema = load_field_schema(schema_path)
    batch = BatchAnalyzer.from_settings(load_settings(None), fields_file=schema_path)
    vault = batch.pii.vault if batch.pii is not None else None
    per_type: dict[str, dict[str, int]] = defaultdict(lambda: {"expected": 0, "correct": 0, "wrong": 0,
                                                              "missed": 0, "spurious": 0})
    confident = {"values": 0, "correct": 0}
    mistakes: list[str] = []
    lines = [line for line in (DATA / calls_file).read_text().splitlines() if line.strip()][:limit]
    for line in lines:
        row = json.loads(line)
        expected = row.pop("expected")
        _state, analysis, _ms = await batch.analyze(Transcript.model_validate(row), call_id=row["call_id"])
        for spec in schema.fields:
            result = analysis["fields"][spec.name]
            got = result["value"]
            if result.get("sealed") and vault is not None:
                got = vault.open(result["sealed"])
            got, want = _comparable(spec.type.value, got), _comparable(spec.type.value, expected[spec.name])
            tally = per_type[spec.type.value]
            if want is not None:
                tally["expected"] += 1
            if got is not None and result["confidence"] >= 0.8:
                confident["values"] += 1
                confident["correct"] += int(got == want)
            if want is None and got is None:
                continue
            if want is None:
                tally["spurious"] += 1
            elif got == want:
                tally["correct"] += 1
                continue
            elif got is None:
                tally["missed"] += 1
            else:
                tally["wrong"] += 1
            mistakes.append(f"{row['call_id']} {spec.name}: expected {want!r}, got {got!r}")
    expected_total = sum(t["expected"] for t in per_type.values())
    correct_total = sum(t["correct"] for t in per_type.values())
    return {"calls": len(lines), "per_type": dict(per_type), "expected": expected_total, "correct": correct_total,
            "accuracy": round(correct_total / max(1, expected_total), 3),
            "spurious": sum(t["spurious"] for t in per_type.values()),
            "confident_precision": round(confident["correct"] / max(1, confident["values"]), 3),
            "confident_values": confident["values"], "mistakes": mistakes}


# -- latency --------------------------------------------------------------------------------------------------
def _long_call(calls: Path, seconds: float) -> Transcript:
    """The sample calls joined, again and again, until the call lasts ``seconds``."""
    sources = [load_transcript(p) for p in sorted(calls.glob("*.json"))]
    segments, offset = [], 0.0
    while offset < seconds:
        for t in sources:
            for s in t.segments:
                segments.append(TranscriptSegment(speaker=s.speaker, text=s.text, start=s.start + offset,
                                                  end=s.end + offset))
            offset += t.duration + 2.0
            if offset >= seconds:
                break
    return Transcript(call_id=f"long-{int(seconds)}", segments=segments)


async def _engine_latency(calls: Path, repeats: int) -> dict[str, Any]:
    from callpilot.aftercall.batch import BatchAnalyzer, play_transcript
    from callpilot.core.settings import load_settings

    batch = BatchAnalyzer.from_settings(load_settings(None), fields_file=DATA / "aftercall_fields.yaml")
    out: dict[str, Any] = {}
    for label, seconds in (("10_minutes", 600.0), ("3_hours", 3 * 3600.0)):
        transcript = _long_call(calls, seconds)
        state = await play_transcript(batch.inline, transcript, call_id=transcript.call_id or label, pii=batch.pii)
        await batch.engine.analyze(state)  # warm: the intent model loads once per process
        times = []
        for _ in range(repeats if label == "10_minutes" else max(1, repeats // 10)):
            started = time.perf_counter()
            await batch.engine.analyze(state)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[label] = {"segments": len(transcript.segments), "runs": len(times),
                      "p50_ms": round(statistics.median(times), 2), "max_ms": round(times[-1], 2)}
    return out


async def _end_to_end(paths: list[Path]) -> dict[str, Any]:
    from callpilot.core.settings import load_settings
    from callpilot.runtime import open_runtime
    from callpilot.service.calls import NewCall, NewSegment

    waits = []
    with tempfile.TemporaryDirectory() as tmp:
        fields = {"aftercall": {"fields_file": DATA / "aftercall_fields.yaml"}}
        rt = await open_runtime(load_settings(None, database_url=f"sqlite:///{tmp}/bench.db", analyzers=fields))
        try:
            for path in paths:
                transcript = load_transcript(path)
                call_id = f"e2e-{path.stem}"
                await rt.calls.start_call(NewCall(call_id=call_id, agent_id="bench"), trace_id=None)
                for i, s in enumerate(transcript.segments):
                    await rt.calls.add_segment(call_id, NewSegment(speaker=s.speaker, text=s.text, start_time=s.start,
                                                                   end_time=s.end, segment_id=f"s{i}"), trace_id=None)
                await rt.calls.settle()
                subscription = rt.hub.subscribe(call_id=call_id)
                await rt.calls.end_call(call_id, "completed", trace_id=None)
                ended = time.perf_counter()
                while True:
                    event = await subscription.get(idle_seconds=30)
                    if event is None:
                        raise RuntimeError(f"{call_id}: no CallAnalyzed within 30 s")
                    if event.type == "CallAnalyzed":
                        waits.append((time.perf_counter() - ended) * 1000)
                        break
                rt.hub.unsubscribe(subscription)
        finally:
            await rt.close()
    return {"calls": len(waits), "p50_ms": round(statistics.median(waits), 1), "max_ms": round(max(waits), 1)}


# -- report ---------------------------------------------------------------------------------------------------
def aftercall_markdown(result: dict[str, Any]) -> list[str]:
    lines = ["## After-call work", ""]
    summary = result.get("summary")
    if summary is not None:
        lines += [f"Summary quality on DialogSum ({summary['dialogues']} dialogues, one reference each), "
                  "ROUGE F1:", "", "| system | ROUGE-1 | ROUGE-2 | ROUGE-L |", "|---|---|---|---|"]
        for label, key in (("lead-3 (first three turns)", "lead3"), ("`analyze --engine local`", "local"),
                           ("local, without PII redaction", "local_without_redaction")):
            r = summary[key]
            lines.append(f"| {label} | {r['rouge1']:.3f} | {r['rouge2']:.3f} | {r['rougeL']:.3f} |")
        lines += ["", f"Example (dev_0): reference \"{summary['example']['reference']}\"; local "
                  f"\"{summary['example']['local']}\"", ""]
    else:
        lines += ["Summary quality: ../shared/data/dialogsum not found; not measured.", ""]
    lines += ["Field accuracy on written calls with known values (12 fields of `bench/data/aftercall_fields.yaml`; "
              "exact match after normalisation). Three sets of 12 calls, each written by someone who had not seen "
              "the slot filler's rules. The failures of the two development sets were studied while the rules "
              "were written, so their numbers flatter the rules; the **held-out set** was written after the rules "
              "were frozen and is the one to believe.", ""]
    for key, label in (("fields_heldout", "**held-out set** (`aftercall_calls_heldout.jsonl`)"),
                       ("fields", "development set 1 (`aftercall_calls.jsonl`)"),
                       ("fields_dev2", f"development set 2 (`aftercall_calls_dev2.jsonl`; first measured {DEV2_FIRST}, "
                                       "before its failures were studied)")):
        fields = result[key]
        lines += [f"{label}, {fields['calls']} calls:", "",
                  "| type | expected | correct | wrong | missed | spurious |", "|---|---|---|---|---|---|"]
        for kind, t in sorted(fields["per_type"].items()):
            lines.append(f"| {kind} | {t['expected']} | {t['correct']} | {t['wrong']} | {t['missed']} | "
                         f"{t['spurious']} |")
        lines += [f"| **all** | {fields['expected']} | {fields['correct']} (**{fields['accuracy']:.1%}**) | | | "
                  f"{fields['spurious']} |", "",
                  f"Values at or above the review threshold (0.8), which skip review: {fields['confident_values']}, "
                  f"of which {fields['confident_precision']:.1%} correct.", ""]
    engine = result["engine"]
    ten = engine["10_minutes"]
    met = "met" if ten["p50_ms"] < TARGET_ENGINE_MS and ten["max_ms"] < TARGET_ENGINE_MS else "**missed**"
    lines += [f"Local engine per call (target < {TARGET_ENGINE_MS:.0f} ms for a 10-minute call): 10 minutes "
              f"({ten['segments']} segments) p50 {ten['p50_ms']} ms, max {ten['max_ms']} ms over {ten['runs']} runs "
              f"({met}); 3 hours ({engine['3_hours']['segments']} segments) p50 {engine['3_hours']['p50_ms']} ms.",
              ""]
    e2e = result.get("end_to_end")
    if e2e is not None:
        lines += [f"`CallEnded` → `CallAnalyzed` on the stream (default runtime, SQLite, {e2e['calls']} sample "
                  f"calls): p50 {e2e['p50_ms']} ms, max {e2e['max_ms']} ms.", ""]
    return lines


def run_aftercall_bench(data: Path | None, *, smoke: bool) -> tuple[dict[str, Any], list[str]]:
    folder = find_data_dir(data)
    result: dict[str, Any] = {}
    if folder is not None and (folder / "dialogsum" / "dialogsum.dev.jsonl").is_file():
        result["summary"] = _summary_quality(folder, 20 if smoke else None)
    else:
        typer.echo("aftercall: ../shared/data/dialogsum not found; summary quality not measured")
    for key, name in FIELD_SETS:
        result[key] = asyncio.run(_field_accuracy(3 if smoke else None, name))
    calls = find_examples("calls")
    if calls is not None:
        result["engine"] = asyncio.run(_engine_latency(calls, 3 if smoke else 30))
        result["end_to_end"] = asyncio.run(_end_to_end(sorted(calls.glob("*.json"))))
    else:
        typer.echo("aftercall: examples/calls not found (run from a checkout); latency not measured")
        result["engine"] = {"10_minutes": {"segments": 0, "runs": 0, "p50_ms": 0, "max_ms": 0},
                            "3_hours": {"segments": 0, "p50_ms": 0}}
    return result, aftercall_markdown(result)


def main(smoke: bool = False, data: Path | None = None, mistakes: bool = False) -> None:
    result, markdown = run_aftercall_bench(data, smoke=smoke)
    typer.echo("\n".join(markdown))
    if mistakes:
        typer.echo("\n".join(m for key, _name in FIELD_SETS for m in result[key]["mistakes"]))


if __name__ == "__main__":
    typer.run(main)
