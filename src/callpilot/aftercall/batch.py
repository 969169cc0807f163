"""``callpilot analyze``: after-call analysis of transcript files, as a batch.

Each transcript is played in memory through the live inline analyzers (PII redaction first, then rules,
sentiment, signals, talk statistics), as the server would, then ended and handed to the engine. Analyzers and
engine are built once for the whole batch; the output is one JSON line per input, in input order, with
``call_id`` and ``input`` added to the analysis. A transcript that cannot be read gives an ``error`` line and
the batch goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson
from pydantic import ValidationError

from callpilot.aftercall.engines import AfterCallEngine, AfterCallOptions, build_engine
from callpilot.analyzers.pii.analyzer import PiiAnalyzer
from callpilot.core.errors import CallpilotError, ConfigError, InvalidInput
from callpilot.core.logging import get_logger
from callpilot.core.settings import Settings
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, SegmentReceived
from callpilot.pipeline.runner import AnalyzerRunner
from callpilot.replay.transcript import Transcript, load_transcript

__all__ = ["BatchAnalyzer", "BatchItem", "BatchSummary", "items_from_files", "play_transcript"]

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class BatchItem:
    label: str
    transcript: Transcript | None = None
    error: str | None = None


@dataclass
class BatchSummary:
    analyzed: int = 0
    failed: int = 0
    engine_ms: float = 0.0


class BatchAnalyzer:
    def __init__(self, *, inline: AnalyzerRunner, engine: AfterCallEngine) -> None:
        self.inline, self.engine = inline, engine
        self.pii = next((a for a in inline.analyzers if isinstance(a, PiiAnalyzer)), None)
        if self.pii is not None:
            engine.use_vault(self.pii.vault)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> BatchAnalyzer:
        """The settings' inline analyzers and after-call engine, with ``overrides`` of the ``aftercall``
        options (``fields_file``, ``taxonomy``, ``dispositions_file``, ``engine``; None keeps the setting)."""
        from callpilot.analyzers.registry import build_analyzers
        from callpilot.runtime import analyzer_options

        options = analyzer_options(settings)
        aftercall = dict(options.get("aftercall", {}))
        aftercall.update({k: v for k, v in overrides.items() if v is not None})
        inline = AnalyzerRunner(build_analyzers(settings.pipeline.inline, options), path="inline",
                                max_failures=settings.pipeline.max_failures)
        parsed = AfterCallOptions.parse(aftercall)
        if parsed.engine == "llm" and "pii" not in settings.pipeline.inline:
            raise ConfigError("the llm engine sends the transcript to a server: it needs pii in pipeline.inline")
        return cls(inline=inline, engine=build_engine(parsed))

    async def analyze(self, transcript: Transcript, *, call_id: str) -> tuple[CallState, dict[str, Any], float]:
        """(the call's state after playing it, the analysis as JSON, the engine's milliseconds)."""
        state = await play_transcript(self.inline, transcript, call_id=call_id, pii=self.pii)
        started = time.perf_counter()
        result = await self.engine.analyze(state)
        elapsed = (time.perf_counter() - started) * 1000
        out = result.analysis.model_dump(mode="json")
        if result.usage is not None:
            out["usage"] = result.usage.model_dump()
        if result.fallback_reason is not None:
            out["fallback_reason"] = result.fallback_reason
        return state, out, elapsed

    async def run(self, items: AsyncIterator[BatchItem] | Iterable[BatchItem], out: TextIO) -> BatchSummary:
        summary = BatchSummary()
        async for item in _aiter(items):
            line = await self._line(item, summary)
            out.write(orjson.dumps(line).decode() + "\n")
            out.flush()
        return summary

    async def _line(self, item: BatchItem, summary: BatchSummary) -> dict[str, Any]:
        if item.transcript is None:
            summary.failed += 1
            return {"input": item.label, "error": {"code": "bad_input", "message": item.error}}
        call_id = item.transcript.call_id or Path(item.label).stem
        try:
            _state, analysis, elapsed = await self.analyze(item.transcript, call_id=call_id)
        except CallpilotError as exc:
            summary.failed += 1
            return {"input": item.label, "call_id": call_id, "error": {"code": "failed", "message": str(exc)}}
        except Exception as exc:  # a bug on one input: the batch goes on, the traceback is logged
            log.error("analyze_crashed", input=item.label, exc_info=exc)
            summary.failed += 1
            return {"input": item.label, "call_id": call_id,
                    "error": {"code": "internal", "message": f"unexpected {type(exc).__name__}"}}
        summary.analyzed += 1
        summary.engine_ms += elapsed
        return {"input": item.label, "call_id": call_id, **analysis}


async def play_transcript(inline: AnalyzerRunner, transcript: Transcript, *, call_id: str,
                          pii: PiiAnalyzer | None = None) -> CallState:
    """The call's state after its start, every segment (through the inline analyzers) and its end."""
    meta = transcript.metadata
    state = CallState(call_id=call_id)
    started = CallStarted(agent_id=str(meta.get("agent_id") or "batch"), agent_name=meta.get("agent_name"),
                          customer_name=meta.get("customer_name"), queue=meta.get("queue"),
                          acd_metadata={k: v for k, v in meta.items() if k == "call_date"})
    state.record(pii.protect_call_start(started) if pii is not None else started)
    for i, seg in enumerate(transcript.segments):
        event = SegmentReceived(segment_id=f"s{i}", speaker=seg.speaker, text=seg.text, start=seg.start, end=seg.end,
                                confidence=seg.confidence)
        await _record(inline, state, event)
    await _record(inline, state, CallEnded(status="completed"))
    return state


async def _record(inline: AnalyzerRunner, state: CallState, event: Any) -> None:
    stored, produced = await inline.process(state, event, trigger_seq=state.seq + 1)
    state.record(stored)
    for extra in produced:
        state.record(extra)


def items_from_files(paths: list[str], stdin: TextIO) -> Iterable[BatchItem]:
    """Transcript files in order; ``-`` reads transcripts as JSON lines on stdin."""
    for path in paths:
        if path == "-":
            yield from _stdin_items(stdin)
            continue
        try:
            yield BatchItem(label=path, transcript=load_transcript(path))
        except InvalidInput as exc:
            yield BatchItem(label=path, error=str(exc))
        except OSError as exc:  # a directory, no permission
            yield BatchItem(label=path, error=f"{path}: cannot read: {exc.strerror or exc}")


def _stdin_items(stdin: TextIO) -> Iterable[BatchItem]:
    for number, raw in enumerate(stdin, start=1):
        if not raw.strip():
            continue
        label = f"stdin:{number}"
        try:
            yield BatchItem(label=label, transcript=Transcript.model_validate(json.loads(raw)))
        except json.JSONDecodeError as exc:
            yield BatchItem(label=label, error=f"line {number} is not JSON: {exc.msg}")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(line)"
            yield BatchItem(label=label, error=f"line {number} is not a transcript: {where}: {first['msg']}")


async def _aiter(items: AsyncIterator[BatchItem] | Iterable[BatchItem]) -> AsyncIterator[BatchItem]:
    if isinstance(items, AsyncIterator):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
