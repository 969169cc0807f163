"""AfterCallService: the after-call analysis on demand, the review queue, and reviewers' edits and approvals.
Every change is an event in the call's log (who, what, before and after); nothing here lives only in memory."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from callpilot.aftercall.analyzer import AfterCallAnalyzer
from callpilot.aftercall.fields.edits import normalize_edit
from callpilot.aftercall.fields.personal import looks_complete, normalize_personal
from callpilot.aftercall.fields.schema import PII_TYPES
from callpilot.bus.base import Job
from callpilot.core.errors import (
    AnalyzerError,
    CallStillLive,
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    StaleRevision,
)
from callpilot.core.logging import get_logger
from callpilot.domain.analysis import FieldValue, Resolution
from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, CallEnded, Event, RecordedEvent
from callpilot.domain.events.aftercall import (
    AnalysisApproved,
    AnalysisEdited,
    CallAnalyzed,
    FieldChange,
    ReviewRequested,
)
from callpilot.service.calls import CallService

__all__ = ["AfterCallService", "AnalysisEdit", "ReviewItem"]

_RETRIES = 5
log = get_logger(__name__)


class AnalysisEdit(BaseModel):
    """A reviewer's changes to one revision; fields left out stay as they are."""

    model_config = {"extra": "forbid"}

    revision: int = Field(ge=1, description="the revision being edited (a newer run makes this stale: 409)")
    reviewer: str = Field(min_length=1, max_length=128)
    comment: str | None = Field(None, max_length=2000)
    summary: str | None = Field(None, min_length=1, max_length=5000)
    bullets: list[str] | None = Field(None, max_length=5)
    disposition: str | None = None
    resolution: Resolution | None = None
    fields: dict[str, FieldValue] | None = None


class ReviewItem(BaseModel):
    call_id: str
    revision: int
    status: Literal["pending_review", "approved", "analyzed"]
    reasons: list[str]
    disposition: str | None = None
    confidence: float | None = None
    engine: str | None = None
    analyzed_at: datetime
    approved_by: str | None = None
    run_id: str | None = Field(None, exclude=True)


class AfterCallService:
    def __init__(self, *, calls: CallService, analyzer: AfterCallAnalyzer) -> None:
        self.calls, self.analyzer = calls, analyzer

    async def resume(self, *, within_hours: float = 24.0) -> int:
        """Queue the post-call job again for the calls that ended in the last ``within_hours`` and were never
        analyzed, nor failed for good (the process stopped between the end and the analysis: the in-process
        queue does not survive a restart). Older calls are left alone: ``POST /v1/calls/{id}/analyze`` runs
        them. How many were queued."""
        since = datetime.now(UTC) - timedelta(hours=within_hours)
        ended: dict[str, RecordedEvent] = {}
        done: set[str] = set()
        types = [CallEnded.type_name(), CallAnalyzed.type_name(), AnalyzerFailed.type_name()]
        for recorded in await self.calls.read_all(types):
            event = recorded.event
            if isinstance(event, CallEnded) and recorded.recorded_at >= since:
                ended[recorded.call_id] = recorded
            elif isinstance(event, CallAnalyzed) and event.trigger == "call_ended" or isinstance(
                    event, AnalyzerFailed) and event.analyzer == self.analyzer.name and event.permanent:
                done.add(recorded.call_id)
        queued = 0
        for call_id, recorded in ended.items():
            if call_id in done:
                continue
            job = Job(call_id=call_id, seq=recorded.seq, trace_id=recorded.trace_id)
            if await self.calls.work_queue.submit(job, wait_seconds=5.0):
                queued += 1
            else:
                log.warning("aftercall_resume_queue_full", call_id=call_id)
        return queued

    async def analyze(self, call_id: str, *, trace_id: str | None) -> CallState:
        """Run the engine now (again) on an ended call; a new revision goes through review like the first. An
        engine failure is recorded as an AnalyzerFailed event, then raised."""
        for attempt in range(_RETRIES):
            state = await self.calls.get_call(call_id)
            if state.status != "ended":
                raise CallStillLive(call_id, "after-call analysis")
            try:
                events = await self.analyzer.run(state, trigger="on_demand")
            except AnalyzerError as exc:
                await self.calls.log.append(call_id, [AnalyzerFailed(
                    analyzer=self.analyzer.name, category=exc.category, permanent=exc.permanent,
                    message=str(exc)[:300], trigger_seq=state.seq)], trace_id=trace_id)
                raise
            if await self._append(state, events, trace_id, attempt):
                return await self.calls.get_call(call_id)
        raise ConcurrencyConflict(f"call {call_id}: gave up after {_RETRIES} conflicting writers")

    async def edit(self, call_id: str, edit: AnalysisEdit, *, trace_id: str | None) -> CallState:
        for attempt in range(_RETRIES):
            state = await self.calls.get_call(call_id)
            current = self._current(state, edit.revision)
            changes = self._changes(current["analysis"], edit)
            if not changes:
                raise InvalidInput("the edit changes nothing", field="fields")
            event = AnalysisEdited(revision=edit.revision, reviewer=edit.reviewer, changes=changes,
                                   comment=edit.comment)
            if await self._append(state, [event], trace_id, attempt):
                return await self.calls.get_call(call_id)
        raise ConcurrencyConflict(f"call {call_id}: gave up after {_RETRIES} conflicting writers")

    async def approve(self, call_id: str, revision: int, reviewer: str, *, trace_id: str | None
                      ) -> tuple[CallState, bool]:
        """(state, approved now); approving an approved revision again is an idempotent retry."""
        for attempt in range(_RETRIES):
            state = await self.calls.get_call(call_id)
            if self._current(state, revision)["status"] == "approved":
                return state, False
            approval = AnalysisApproved(revision=revision, approved_by=reviewer)
            if await self._append(state, [approval], trace_id, attempt):
                return await self.calls.get_call(call_id), True
        raise ConcurrencyConflict(f"call {call_id}: gave up after {_RETRIES} conflicting writers")

    async def queue(self, *, status: str | None = "pending_review", limit: int = 100) -> list[ReviewItem]:
        """Calls by their latest analysis, newest first: those waiting for review by default."""
        types = [CallAnalyzed.type_name(), ReviewRequested.type_name(), AnalysisApproved.type_name(),
                 AnalysisEdited.type_name()]
        rows: dict[str, ReviewItem] = {}
        for recorded in await self.calls.read_all(types):
            _fold_review(rows, recorded)
        items = sorted(rows.values(), key=lambda r: r.analyzed_at, reverse=True)
        return [r for r in items if status is None or r.status == status][:limit]

    # -- helpers ---------------------------------------------------------------------------------------------
    @staticmethod
    def _current(state: CallState, revision: int) -> dict[str, Any]:
        current: dict[str, Any] | None = state.analyzers.get("aftercall")
        if current is None:
            raise NotFound(f"call {state.call_id!r} has no after-call analysis yet")
        if current["revision"] != revision:
            raise StaleRevision(f"revision {revision} of call {state.call_id!r} was replaced by revision "
                                f"{current['revision']}")
        return current

    def _changes(self, analysis: dict[str, Any], edit: AnalysisEdit) -> list[FieldChange]:
        changes: list[FieldChange] = []

        def change(path: str, before: Any, after: Any) -> None:
            if before != after:
                changes.append(FieldChange(path=path, before=before, after=after))

        if edit.summary is not None:
            change("summary.text", analysis["summary"]["text"], edit.summary)
        if edit.bullets is not None:
            change("summary.bullets", analysis["summary"]["bullets"], edit.bullets)
        if edit.disposition is not None:
            allowed = {d.value.lower(): d.value for d in self.analyzer.engine.dispositions}
            value = allowed.get(edit.disposition.lower())
            if value is None:
                raise InvalidInput(f"disposition must be one of {', '.join(allowed.values())}", field="disposition")
            change("disposition", analysis["disposition"],
                   {"value": value, "confidence": 1.0, "segments": analysis["disposition"]["segments"]})
        if edit.resolution is not None:
            change("resolution", analysis["resolution"], edit.resolution)
        for name, raw in (edit.fields or {}).items():
            changes.extend(self._field_change(analysis, name, raw, edit.reviewer))
        return changes

    def _field_change(self, analysis: dict[str, Any], name: str, raw: FieldValue, reviewer: str
                      ) -> list[FieldChange]:
        spec = self.analyzer.engine.schema.get(name)
        if spec is None:
            raise InvalidInput(f"no field {name!r} in the field schema", field=f"fields.{name}")
        value = normalize_edit(spec, raw)
        sealed = None
        if spec.type in PII_TYPES and raw is not None:
            vault = self.calls.vault
            if vault is None:
                raise InvalidInput("personal data needs the PII vault, and PII redaction is off",
                                   field=f"fields.{name}")
            normal = normalize_personal(spec.type, str(raw))
            if not looks_complete(spec.type, normal):
                raise InvalidInput(f"{name}: not a whole {spec.type.value}", field=f"fields.{name}")
            sealed = vault.seal(normal)
        before = analysis["fields"].get(name)
        after: dict[str, Any] = {"value": value, "confidence": 1.0, "evidence": [], "sealed": sealed,
                 "note": f"set by reviewer {reviewer}"}
        if before is not None and before.get("value") == value and value is not None and sealed is None:
            return []
        # the before of a PII field shows only its placeholder; the sealed token is not repeated in the event
        shown = dict(before, sealed=None) if before is not None else None
        return [FieldChange(path=f"fields.{name}", before=shown, after=after)]

    async def _append(self, state: CallState, events: Sequence[Event], trace_id: str | None, attempt: int) -> bool:
        """Append after ``state``'s last event; False when another writer came first (the caller retries, after
        a little jittered backoff)."""
        try:
            await self.calls.log.append(state.call_id, list(events), expected_seq=state.seq, trace_id=trace_id)
        except ConcurrencyConflict:
            self.calls.states.forget(state.call_id)
            await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
            return False
        return True


def _fold_review(rows: dict[str, ReviewItem], recorded: RecordedEvent) -> None:
    """The queue row of a call: its latest analysis (the first stored of a revision two runs raced for), its
    run's decision, and reviewers' edits and approvals (an edit after approval needs approving again)."""
    event = recorded.event
    row = rows.get(recorded.call_id)
    if isinstance(event, CallAnalyzed):
        if row is not None and row.revision >= event.revision:
            return
        rows[recorded.call_id] = ReviewItem(
            call_id=recorded.call_id, revision=event.revision, status="analyzed",
            reasons=list(event.analysis.review_reasons), disposition=event.analysis.disposition.value,
            confidence=event.analysis.confidence, engine=event.analysis.engine, analyzed_at=recorded.recorded_at,
            run_id=event.run_id)
        return
    if row is None or getattr(event, "revision", None) != row.revision:
        return
    run_id = getattr(event, "run_id", None)
    if run_id is not None and row.run_id not in (None, run_id):
        return  # the decision of a run that lost the race for this revision
    if isinstance(event, ReviewRequested):
        row.status, row.reasons = "pending_review", list(event.reasons)
    elif isinstance(event, AnalysisApproved):
        row.status, row.approved_by = "approved", event.approved_by
    elif isinstance(event, AnalysisEdited):
        changed = {c.path: c.after for c in event.changes}
        if isinstance(changed.get("disposition"), dict):
            row.disposition = changed["disposition"]["value"]
        if row.status == "approved":
            row.status, row.approved_by = "pending_review", None
