"""``callpilot rules check``: run a ruleset over recorded transcripts, to test rule changes before deploying them.

Each file is played through the real analyzer as the pipeline would: CallStarted, then every segment (the
analyzer sees the state before it, then the segment and the analyzer's events are applied), then CallEnded.
Transcripts on disk are not PII-redacted unless they were exported redacted; rules on placeholders such as
``[CARD_NUMBER]`` only fire on redacted text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from callpilot.analyzers.rules.analyzer import RulesAnalyzer
from callpilot.analyzers.rules.engine import STATE_KEY
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, CallStarted, SegmentReceived
from callpilot.domain.events.rules import RuleViolated, Severity
from callpilot.replay.transcript import Transcript, load_transcript

__all__ = ["CheckReport", "ChecklistRow", "FileReport", "ViolationRow", "check_files", "format_json",
           "format_text"]


class ViolationRow(BaseModel):
    segment_index: int
    time: float
    speaker: str
    rule_id: str
    kind: str
    severity: Severity
    message: str
    evidence: str


class ChecklistRow(BaseModel):
    rule_id: str
    description: str
    severity: Severity
    status: Literal["pending", "met", "missed"]
    segment_index: int | None = None
    time: float | None = None
    evidence: str | None = None
    reason: str | None = None


class FileReport(BaseModel):
    path: str
    call_id: str
    queue: str | None
    segments: int
    violations: list[ViolationRow]
    checklist: list[ChecklistRow]

    @property
    def missed(self) -> list[ChecklistRow]:
        return [row for row in self.checklist if row.status == "missed"]


class CheckReport(BaseModel):
    ruleset: str
    files: list[FileReport]

    @property
    def clean(self) -> bool:
        """No violation and no missed requirement in any file."""
        return all(not f.violations and not f.missed for f in self.files)


def check_files(ruleset: str | Path, files: list[Path]) -> CheckReport:
    """Run ``ruleset`` (a shipped name or a YAML path) over transcript files; ConfigError/InvalidInput on bad input."""
    analyzer = RulesAnalyzer(ruleset=ruleset)
    reports = asyncio.run(_check_all(analyzer, files))
    return CheckReport(ruleset=analyzer.ruleset.name, files=reports)


async def _check_all(analyzer: RulesAnalyzer, files: list[Path]) -> list[FileReport]:
    return [await check_transcript(analyzer, load_transcript(path), str(path)) for path in files]


async def check_transcript(analyzer: RulesAnalyzer, transcript: Transcript, path: str) -> FileReport:
    """One transcript through the analyzer, folded into a CallState as the pipeline would fold it."""
    call_id = transcript.call_id or Path(path).stem
    call = CallState(call_id=call_id)
    record = call.record
    record(_call_started(transcript.metadata))
    violations: list[ViolationRow] = []
    segment_index: dict[str, int] = {}
    for index, seg in enumerate(transcript.segments):
        event = SegmentReceived(segment_id=f"seg-{index}", speaker=seg.speaker, text=seg.text, start=seg.start,
                                end=seg.end, confidence=seg.confidence, final=True)
        segment_index[event.segment_id] = index
        produced = await analyzer.analyze(call, event)
        record(event)
        for out in produced:
            record(out)
            if isinstance(out, RuleViolated):
                violations.append(ViolationRow(segment_index=index, time=out.at, speaker=out.speaker,
                                               rule_id=out.rule_id, kind=out.kind, severity=out.severity,
                                               message=out.message, evidence=out.evidence))
    ended = CallEnded(status="completed")
    produced = await analyzer.analyze(call, ended)
    record(ended)
    for out in produced:
        record(out)
    state = call.analyzers.get(STATE_KEY, {"checklist": {}})
    checklist = [_row(item, segment_index) for item in state["checklist"].values()]
    return FileReport(path=path, call_id=call_id, queue=call.queue, segments=len(transcript.segments),
                      violations=violations, checklist=checklist)


def _call_started(metadata: dict[str, Any]) -> CallStarted:
    """The call's metadata as an ACD would send it; the raw phone number is left out, as the API does."""
    acd = {k: metadata[k] for k in ("campaign",) if metadata.get(k) is not None}
    return CallStarted(agent_id=str(metadata.get("agent_id") or "unknown"), agent_name=metadata.get("agent_name"),
                       customer_id=metadata.get("customer_id"), customer_name=metadata.get("customer_name"),
                       queue=metadata.get("queue"), acd_metadata=acd)


def _row(item: dict[str, Any], segment_index: dict[str, int]) -> ChecklistRow:
    return ChecklistRow(rule_id=item["rule_id"], description=item.get("description", ""),
                        severity=item.get("severity", "warning"), status=item["status"],
                        segment_index=segment_index.get(item.get("segment_id") or ""), time=item.get("at"),
                        evidence=item.get("evidence"), reason=item.get("reason"))


_MARK = {"met": "[x]", "missed": "[!]", "pending": "[ ]"}


def format_text(report: CheckReport) -> str:
    """A human-readable report: per file, the violations in call order, then the checklist."""
    lines = [f"ruleset {report.ruleset}"]
    for file in report.files:
        lines += ["", f"== {file.path} (call {file.call_id}, queue {file.queue or '-'}, {file.segments} segments)"]
        lines.append(f"violations: {len(file.violations)}")
        for v in file.violations:
            lines.append(f"  #{v.segment_index:<4} {_clock(v.time)}  {v.speaker:<8} {v.severity:<8} {v.rule_id}: "
                         f"\"{v.evidence}\"")
            lines.append(f"{'':8}-> {v.message}")
        met = sum(row.status == "met" for row in file.checklist)
        lines.append(f"checklist: {met}/{len(file.checklist)} met")
        for row in file.checklist:
            where = f"#{row.segment_index} {_clock(row.time)} \"{row.evidence}\"" if row.status == "met" else ""
            why = row.reason if row.status == "missed" else ""
            lines.append(f"  {_MARK[row.status]} {row.severity:<8} {row.rule_id}: {row.description}"
                         + (f"  ({where or why})" if where or why else ""))
    total_v = sum(len(f.violations) for f in report.files)
    total_m = sum(len(f.missed) for f in report.files)
    lines += ["", f"{len(report.files)} file(s): {total_v} violation(s), {total_m} missed requirement(s)"]
    return "\n".join(lines)


def format_json(report: CheckReport) -> str:
    return report.model_dump_json(indent=2)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
