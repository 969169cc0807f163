"""Agent assist at scale: ingest of a 10,000-chunk knowledge base, and segment -> suggestions latency on it.

The knowledge base is built from real text of the shared data sets (not shipped): the 125 StackFAQ threads
and the ABCD guidelines as they are, then FAQ rows until there are 10,000 chunks, each a BANKING77 or CLINC150
customer utterance as the question and an 80-word window of the StackFAQ answers and ABCD guideline text as the
answer (windows repeat across rows; every chunk is at least as long as the encoder reads, 64 wordpieces, so
ingest time is the full cost). The demo articles (examples/kb) are added so that the sample calls have their
answers in it.

Latency: the runtime (SQLite event log, the default pipeline with throttling off so that every customer
segment runs the orchestrator) replays the four sample calls one after the other, warm; for each customer
segment, the time from ``add_segment`` to the moment the orchestrator's events for it are appended (the
listener that feeds the streams). Runs are reported all together and for those that produced
``SuggestionsProvided``.
"""

from __future__ import annotations

import asyncio
import csv
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from callpilot.assist.knowledge import open_knowledge
from callpilot.bench.intent import find_data_dir
from callpilot.bench.retrieval import _abcd_markdown, _stackfaq

__all__ = ["assist_markdown", "run_assist_bench"]

TARGET_LATENCY_MS = 50.0
TARGET_INGEST_S = 120.0
WINDOW = 80


def _examples() -> Path | None:
    for root in (Path.cwd(), Path(__file__).resolve().parents[3]):
        if (root / "examples" / "kb").is_dir() and (root / "examples" / "calls").is_dir():
            return root / "examples"
    return None


def _build_kb(data: Path, out: Path, chunks: int) -> tuple[int, list[tuple[str, str]]]:
    """Write the knowledge base's files under ``out``; returns the FAQ rows written and the StackFAQ queries."""
    rows, queries = _stackfaq(data / "faq_stackfaq")
    (out / "stackfaq.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    abcd = out / "abcd"
    abcd.mkdir()
    _abcd_markdown(data / "abcd_kb", abcd)
    words: list[str] = []
    for row in rows:
        words += row["answer"].split()
    for path in sorted(abcd.glob("*.md")):
        words += [w for w in path.read_text(encoding="utf-8").split() if not w.startswith(("#", "---", "id:"))]
    windows = [" ".join(words[i:i + WINDOW]) for i in range(0, max(1, len(words) - WINDOW), WINDOW // 2)]
    questions = [r["text"] for r in csv.DictReader((data / "banking77" / "train.csv").open(encoding="utf-8"))]
    clinc = json.loads((data / "clinc150" / "data_dev.json").read_text(encoding="utf-8"))
    questions += [text for key in ("train", "val") for text, _ in clinc.get(key, [])]
    filler = max(0, chunks - 1000)  # StackFAQ, ABCD and the demo articles give about a thousand chunks
    with (out / "filler.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(filler):
            handle.write(json.dumps({"id": f"filler-{i}", "question": questions[i % len(questions)],
                                     "answer": windows[(i * 7) % len(windows)]}) + "\n")
    return filler, queries


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"n": len(values), "p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "max_ms": round(ordered[-1], 2)}


async def _latency(url: str, calls: Path, *, repeats: int) -> dict[str, Any]:
    from callpilot.core.settings import load_settings
    from callpilot.domain.events import RecordedEvent
    from callpilot.domain.events.assist import AgentActionRecorded, SuggestionsProvided
    from callpilot.replay.transcript import load_transcript
    from callpilot.runtime import open_runtime
    from callpilot.service.calls import NewCall, NewSegment

    settings = load_settings(None, database_url=url, analyzers={"assist": {"kb": "bench", "min_interval_seconds": 0}})
    runtime = await open_runtime(settings)
    seen: dict[tuple[str, int], tuple[float, bool, float]] = {}

    def listen(events: Any) -> None:
        now = time.perf_counter()
        for recorded in events:
            assert isinstance(recorded, RecordedEvent)
            event = recorded.event
            if isinstance(event, AgentActionRecorded):
                key = (recorded.call_id, event.trigger_seq)
                has_cards = any(isinstance(e.event, SuggestionsProvided) for e in events)
                steps = sum(e.event.processing_ms for e in events if isinstance(e.event, AgentActionRecorded))
                seen.setdefault(key, (now, has_cards, steps))

    runtime.log.add_listener(listen)
    all_runs: list[float] = []
    with_cards: list[float] = []
    steps: list[float] = []
    shown: dict[str, list[str]] = {}
    paths = sorted(calls.glob("*.json"))  # noqa: ASYNC240 - a benchmark, before any call runs
    try:
        for repeat in range(repeats):
            for path in paths:
                transcript = load_transcript(path)
                call_id = f"{path.stem}-{repeat}"
                await runtime.calls.start_call(NewCall(call_id=call_id, agent_id="bench"), trace_id=None)
                for segment in transcript.segments:
                    started = time.perf_counter()
                    outcome = await runtime.calls.add_segment(call_id, NewSegment(
                        speaker=segment.speaker, text=segment.text, start_time=segment.start,
                        end_time=segment.end), trace_id=None)
                    await runtime.calls.settle()
                    hit = seen.get((call_id, outcome.segment.seq))
                    if hit is not None and (repeat > 0 or repeats == 1):  # the first replay warms up
                        all_runs.append((hit[0] - started) * 1000)
                        steps.append(hit[2])
                        if hit[1]:
                            with_cards.append((hit[0] - started) * 1000)
                shown[path.stem] = [c.doc_id for e in await runtime.log.read_call(call_id)
                                    if isinstance(e.event, SuggestionsProvided) for c in e.event.suggestions]
    finally:
        await runtime.close()
    return {"all_runs": _percentiles(all_runs), "runs_with_cards": _percentiles(with_cards),
            "orchestrator_steps": _percentiles(steps), "cards_shown": shown}


def run_assist_bench(data: Path | None = None, *, smoke: bool = False) -> tuple[dict[str, Any], list[str]] | None:
    folder = find_data_dir(data)
    examples = _examples()
    if folder is None or not all((folder / d).is_dir() for d in ("faq_stackfaq", "abcd_kb", "banking77")):
        typer.echo("assist: ../shared/data (faq_stackfaq, abcd_kb, banking77) not found; skipped (pass --data)")
        return None
    if examples is None:
        typer.echo("assist: examples/kb and examples/calls not found (run from a checkout); skipped")
        return None
    target_chunks = 1200 if smoke else 10_000
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = root / "kb"
        files.mkdir()
        _, queries = _build_kb(folder, files, target_chunks)
        url = f"sqlite:///{root / 'bench.db'}"
        from callpilot.core.settings import load_settings

        # the same service the runtime's orchestrator opens below (same database, encoder and cache)
        service = open_knowledge(url, cache_dir=load_settings(None).cache_dir / "onnx")
        service.chunk_encoder.encode(["warm up"])  # the model load is not ingest time
        started = time.perf_counter()
        report = service.ingest([files, examples / "kb"], kb="bench")
        ingest_s = time.perf_counter() - started
        chunks = sum(f.chunks for f in report.files)
        started = time.perf_counter()
        service.ingest([files, examples / "kb"], kb="bench")
        reingest_s = time.perf_counter() - started
        started = time.perf_counter()
        service.index("bench")
        index_s = time.perf_counter() - started
        sample = queries[::10] if not smoke else queries[::100]
        ranks = []
        search_ms = []
        for text, gold in sample:
            t0 = time.perf_counter()
            ids = [h.doc_id for h in service.search("bench", [text], k=5)]
            search_ms.append((time.perf_counter() - t0) * 1000)
            ranks.append(ids.index(gold) + 1 if gold in ids else None)
        result["kb"] = {"chunks": chunks, "documents": sum(f.documents for f in report.files),
                        "ingest_seconds": round(ingest_s, 1), "chunks_per_second": round(chunks / ingest_s, 1),
                        "reingest_unchanged_seconds": round(reingest_s, 2), "index_build_seconds": round(index_s, 2)}
        result["stackfaq_in_kb"] = {"queries": len(sample),
                                    "recall_at_1": round(sum(r == 1 for r in ranks) / len(ranks), 4),
                                    "recall_at_5": round(sum(r is not None for r in ranks) / len(ranks), 4),
                                    "search": _percentiles(search_ms)}
        result["latency"] = asyncio.run(_latency(url, examples / "calls", repeats=1 if smoke else 2))
    return result, assist_markdown(result)


def assist_markdown(result: dict[str, Any]) -> list[str]:
    kb, latency = result["kb"], result["latency"]
    runs, cards, steps = latency["all_runs"], latency["runs_with_cards"], latency["orchestrator_steps"]
    ingest_met = "met" if kb["ingest_seconds"] < TARGET_INGEST_S else "**missed**"
    latency_met = "met" if runs.get("p95_ms", 1e9) < TARGET_LATENCY_MS else "**missed**"
    found = result["stackfaq_in_kb"]
    lines = [
        f"## Agent assist on a {kb['chunks']:,}-chunk knowledge base", "",
        "Built from the shared data sets (see `callpilot/bench/assist.py`): StackFAQ, the ABCD guidelines, the demo "
        "articles, and FAQ rows of real customer utterances with 80-word answers; every chunk is embedded at the "
        "encoder's full 64 wordpieces.", "",
        f"- Ingest: {kb['chunks']:,} chunks ({kb['documents']:,} documents) in {kb['ingest_seconds']} s, "
        f"{kb['chunks_per_second']} chunks/s (target < {TARGET_INGEST_S:.0f} s: {ingest_met}). Re-ingest with "
        f"nothing changed: {kb['reingest_unchanged_seconds']} s; building the search index from the database: "
        f"{kb['index_build_seconds']} s.",
        f"- StackFAQ's paraphrased queries (every 10th) among all {kb['chunks']:,} chunks: "
        f"Recall@1 {found['recall_at_1']:.3f}, Recall@5 {found['recall_at_5']:.3f}; one search p50 "
        f"{found['search']['p50_ms']} ms, p95 {found['search']['p95_ms']} ms (query embedding included).", "",
        "Segment -> the orchestrator's events appended (what the streams push), every customer segment of the four "
        "sample calls, throttling off, warm (second replay):", "",
        "| runs | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|",
        f"| all | {runs.get('n', 0)} | {runs.get('p50_ms')} | {runs.get('p95_ms')} | {runs.get('p99_ms')} | "
        f"{runs.get('max_ms')} |",
        f"| with answer cards | {cards.get('n', 0)} | {cards.get('p50_ms')} | {cards.get('p95_ms')} | "
        f"{cards.get('p99_ms')} | {cards.get('max_ms')} |",
        f"| the orchestrator's own steps (sum of `processing_ms`) | {steps.get('n', 0)} | {steps.get('p50_ms')} | "
        f"{steps.get('p95_ms')} | {steps.get('p99_ms')} | {steps.get('max_ms')} |", "",
        f"Target p95 < {TARGET_LATENCY_MS:.0f} ms: {latency_met}. The time includes the context analyzer's "
        "embedding of the segment (it runs first on the background path), the orchestrator's embedding of the "
        "customer's recent words (about 4-6 ms, int8 on one core), BM25, the dense search, the snippets and the "
        "append.", "",
        "Articles shown per sample call, in order: "
        + "; ".join(f"{name}: {', '.join(docs[:4]) or 'none'}" for name, docs in latency["cards_shown"].items()) + ".",
        "",
    ]
    return lines


def main(data: Annotated[Path | None, typer.Option(help="the shared data folder")] = None,
         smoke: bool = False) -> None:
    measured = run_assist_bench(data, smoke=smoke)
    if measured is not None:
        typer.echo("\n".join(measured[1]))


if __name__ == "__main__":
    typer.run(main)
