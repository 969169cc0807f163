"""CallService: start a call, add segments, end it, read it. Every API surface calls these."""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from callpilot.analyzers.pii.analyzer import PiiAnalyzer
from callpilot.bus.base import Job, WorkQueue
from callpilot.core.errors import (
    CallAlreadyEnded,
    CallAlreadyExists,
    CallNotFound,
    ConcurrencyConflict,
    ErrorCategory,
    InvalidInput,
)
from callpilot.core.logging import get_logger
from callpilot.core.metrics import PIPELINE_LATENCY, SEGMENTS_RECEIVED
from callpilot.domain.call import CallState, CallSummary, summarize_calls
from callpilot.domain.events import (
    AnalyzerFailed,
    CallEnded,
    CallStarted,
    Event,
    RecordedEvent,
    SegmentReceived,
    Speaker,
    SuggestionFeedbackGiven,
)
from callpilot.domain.events.pii import PiiRedacted, PiiRevealed
from callpilot.eventlog.base import EventLog
from callpilot.pipeline.runner import AnalyzerRunner
from callpilot.service.states import CallStates

__all__ = ["CallService", "NewCall", "NewSegment", "SegmentOutcome", "mask_phone"]

log = get_logger(__name__)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$"
# Event types that count as suggestions / clarifying questions in the transcription response; the
# agent-assist analyzers add them.
SUGGESTION_TYPES = frozenset({"SuggestionsProvided"})
QUESTION_TYPES = frozenset({"ClarifyingQuestionsAsked"})
_RETRIES = 20
_STATE_LOOKBACK = 64


def mask_phone(phone: str | None) -> str | None:
    """Keep the last four digits only: the log never holds a full phone number."""
    if phone is None:
        return None
    digits = re.sub(r"\D", "", phone)
    return ("*" * max(0, len(digits) - 4)) + digits[-4:] if digits else None


class NewCall(BaseModel):
    model_config = {"extra": "forbid"}

    call_id: str | None = Field(None, pattern=ID_PATTERN)
    agent_id: str = Field(min_length=1, max_length=128)
    agent_name: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=128)
    customer_phone: str | None = Field(None, max_length=40)
    customer_name: str | None = Field(None, max_length=200)
    queue: str | None = Field(None, max_length=128)
    acd_metadata: dict[str, Any] = Field(default_factory=dict)
    crm_metadata: dict[str, Any] = Field(default_factory=dict)


class NewSegment(BaseModel):
    model_config = {"extra": "forbid"}

    speaker: Speaker
    text: str
    start_time: float = Field(ge=0)
    end_time: float = Field(ge=0)
    confidence: float | None = Field(None, ge=0, le=1)
    final: bool = True
    segment_id: str | None = Field(
        None, pattern=ID_PATTERN,
        description="the client's id for this segment; a retry with the same id is stored once",
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value

    @model_validator(mode="after")
    def _times_ordered(self) -> NewSegment:
        if self.end_time < self.start_time:
            raise ValueError("end_time must not be before start_time")
        return self


@dataclass(frozen=True)
class SegmentOutcome:
    segment: RecordedEvent
    produced: tuple[RecordedEvent, ...]
    duplicate: bool
    processing_ms: float

    def count(self, types: frozenset[str]) -> int:
        return sum(1 for e in self.produced if e.type in types)


class CallService:
    def __init__(
        self,
        log: EventLog,
        *,
        inline: AnalyzerRunner,
        background: AnalyzerRunner,
        work_queue: WorkQueue,
        max_segment_chars: int,
        enqueue_timeout: float = 0.5,
        pii: PiiAnalyzer | None = None,
    ) -> None:
        self.log = log
        self.states = CallStates(log)
        self.inline = inline
        self.background = background
        self.work_queue = work_queue
        self.max_segment_chars = max_segment_chars
        self.enqueue_timeout = enqueue_timeout
        self.pii = pii
        self.vault = pii.vault if pii is not None else None
        # One in-process writer per call at a time, so concurrent requests of one call queue up here instead
        # of colliding on the log's concurrency check (which still guards against other processes).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def start(self) -> None:
        await self.work_queue.start(self._handle_job)

    async def stop(self) -> None:
        await self.work_queue.stop(drain_seconds=5.0)

    async def settle(self) -> None:
        """Wait until the background analyzers have handled everything appended so far."""
        await self.work_queue.join()

    # -- commands ----------------------------------------------------------------------------------------
    async def start_call(self, cmd: NewCall, *, trace_id: str | None) -> tuple[CallState, bool]:
        """(state, created). Starting a live call again is an idempotent retry; an ended one is a conflict."""
        call_id = cmd.call_id or f"call_{uuid.uuid4().hex}"
        event = CallStarted(
            agent_id=cmd.agent_id, agent_name=cmd.agent_name, customer_id=cmd.customer_id,
            customer_name=cmd.customer_name, customer_phone_masked=mask_phone(cmd.customer_phone),
            customer_phone_sealed=(self.vault.seal(cmd.customer_phone)
                                   if self.vault is not None and cmd.customer_phone else None),
            queue=cmd.queue, acd_metadata=cmd.acd_metadata, crm_metadata=cmd.crm_metadata,
        )
        if self.pii is not None:
            event = self.pii.protect_call_start(event)
        try:
            await self.log.append(call_id, [event], expected_seq=0, trace_id=trace_id)
        except ConcurrencyConflict:
            state = await self.get_call(call_id)
            if state.status == "ended":
                raise CallAlreadyExists(call_id) from None
            return state, False
        return await self.get_call(call_id), True

    async def add_segment(self, call_id: str, seg: NewSegment, *, trace_id: str | None) -> SegmentOutcome:
        started = time.perf_counter()
        if len(seg.text) > self.max_segment_chars:
            raise InvalidInput(f"text is {len(seg.text)} characters; the limit is {self.max_segment_chars}",
                               field="text")
        event = SegmentReceived(
            segment_id=seg.segment_id or f"seg_{uuid.uuid4().hex[:20]}", speaker=seg.speaker, text=seg.text,
            start=seg.start_time, end=seg.end_time, confidence=seg.confidence, final=seg.final,
        )
        recorded, duplicate = await self._record(call_id, event, key=seg.segment_id, trace_id=trace_id)
        elapsed = time.perf_counter() - started
        PIPELINE_LATENCY.labels("inline", "_total").observe(elapsed)
        if not duplicate:
            SEGMENTS_RECEIVED.inc()
        return SegmentOutcome(segment=recorded[0], produced=tuple(recorded[1:]), duplicate=duplicate,
                              processing_ms=round(elapsed * 1000, 3))

    async def end_call(self, call_id: str, status: str, *, trace_id: str | None) -> tuple[CallState, bool]:
        """(state, ended_now); ending an ended call again is an idempotent retry."""
        try:
            await self._record(call_id, CallEnded(status=status), key=None, trace_id=trace_id)
        except CallAlreadyEnded:
            return await self.get_call(call_id), False
        return await self.get_call(call_id), True

    async def record_event(self, call_id: str, event: Event, *, trace_id: str | None) -> RecordedEvent:
        """Append a fact about a live call that no analyzer derives (a stored recording)."""
        recorded, _ = await self._record(call_id, event, key=None, trace_id=trace_id)
        return recorded[0]

    async def give_feedback(self, call_id: str, feedback: SuggestionFeedbackGiven, *, trace_id: str | None
                            ) -> RecordedEvent:
        recorded, _ = await self._record(call_id, feedback, key=None, trace_id=trace_id, allow_ended=True)
        return recorded[0]

    async def reveal_pii(self, call_id: str, segment_id: str, entity_index: int, *, purpose: str,
                         actor: str | None, trace_id: str | None) -> tuple[str, str]:
        """(entity type, raw value) of a vaulted entity. The read is recorded as a PiiRevealed event first;
        if that append fails, nothing is revealed."""
        if self.vault is None:
            raise InvalidInput("PII redaction is not in the pipeline: there is no vault", field="segment_id")
        entity = None
        for recorded in await self.log.read_call(call_id):
            event = recorded.event
            if isinstance(event, PiiRedacted) and event.segment_id == segment_id:
                if not 0 <= entity_index < len(event.entities):
                    raise InvalidInput(f"segment {segment_id} has {len(event.entities)} entities",
                                       field="entity_index")
                entity = event.entities[entity_index]
        if entity is None:
            await self.get_call(call_id)  # CallNotFound for an unknown call
            raise InvalidInput(f"no redacted entities in segment {segment_id!r}", field="segment_id")
        if entity.vault_ref is None:
            raise InvalidInput(f"{entity.type} values are not kept in the vault (see vault_types)",
                               field="entity_index")
        await self._record(call_id, PiiRevealed(segment_id=segment_id, entity_index=entity_index,
                                                entity_type=entity.type, purpose=purpose, actor=actor),
                           key=None, trace_id=trace_id, allow_ended=True)
        return entity.type, self.vault.open(entity.vault_ref)

    async def _record(self, call_id: str, event: Event, *, key: str | None, trace_id: str | None,
                      allow_ended: bool = False) -> tuple[list[RecordedEvent], bool]:
        """Run inline analyzers on ``event`` and append it with what they produced, atomically."""
        lock = self._locks.get(call_id)
        if lock is None:
            lock = self._locks[call_id] = asyncio.Lock()
        async with lock:
            for attempt in range(_RETRIES):
                state = await self.states.load(call_id, refresh=attempt > 0)
                if state is None:
                    raise CallNotFound(call_id)
                if state.status == "ended" and not allow_ended:
                    if key is not None and (prior := await self.log.find_key(call_id, key)) is not None:
                        return [prior], True
                    raise CallAlreadyEnded(call_id)
                stored, produced = await self.inline.process(state, event, trigger_seq=state.seq + 1)
                try:
                    result = await self.log.append(call_id, [stored, *produced], expected_seq=state.seq,
                                                   idempotency_key=key, trace_id=trace_id)
                except ConcurrencyConflict:
                    # Another process appended to this call first: reload, run again, and back off a little
                    # (with jitter) so two processes feeding one call do not keep colliding.
                    self.states.forget(call_id)
                    await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                    continue
                break
            else:
                raise ConcurrencyConflict(f"call {call_id}: gave up after {_RETRIES} conflicting writers")
        if not result.duplicate:
            await self._dispatch(result.events)
        return list(result.events), result.duplicate

    # -- background path ---------------------------------------------------------------------------------
    async def _dispatch(self, events: Sequence[RecordedEvent]) -> None:
        for recorded in events:
            if not self.background.wants(recorded.event):
                continue
            job = Job(call_id=recorded.call_id, seq=recorded.seq, trace_id=recorded.trace_id)
            if not await self.work_queue.submit(job, wait_seconds=self.enqueue_timeout):
                log.warning("background_queue_full", call_id=recorded.call_id, seq=recorded.seq)
                await self.log.append(recorded.call_id, [AnalyzerFailed(
                    analyzer="background", category=ErrorCategory.RATE_LIMIT, permanent=False,
                    message="background queue full; background analysis of this event was skipped",
                    trigger_seq=recorded.seq)], trace_id=recorded.trace_id)

    async def _handle_job(self, job: Job) -> None:
        state = await self.states.load(job.call_id)
        event: Event | None = _segment_from_state(state, job.seq) if state is not None else None
        if event is None:  # not a final segment the warm state still holds: read the trigger from the log
            trigger = await self.log.read_call(job.call_id, after_seq=job.seq - 1, limit=1)
            event = trigger[0].event if trigger else None
        if state is None or event is None:
            log.error("background_job_without_event", call_id=job.call_id, seq=job.seq)
            return
        async def store(produced: list[Event]) -> None:
            await self.log.append(job.call_id, produced, trace_id=job.trace_id)

        await self.background.run(state, event, trigger_seq=job.seq, emit=store)

    # -- queries -----------------------------------------------------------------------------------------
    async def get_call(self, call_id: str) -> CallState:
        state = await self.states.load(call_id)
        if state is None:
            raise CallNotFound(call_id)
        return state

    async def read_all(self, types: Sequence[str]) -> list[RecordedEvent]:
        """Every event of these types in the log, in position order (analytics and the call list fold them)."""
        events: list[RecordedEvent] = []
        after = 0
        while True:
            page = await self.log.read(after_position=after, limit=5000, types=list(types))
            events.extend(page)
            if len(page) < 5000:
                break
            after = page[-1].position
        return events

    async def list_calls(self, *, status: str | None = None, limit: int = 100) -> list[CallSummary]:
        rows = summarize_calls(await self.read_all([CallStarted.type_name(), CallEnded.type_name()]))
        if status is not None:
            rows = [r for r in rows if r.status == status]
        return rows[:limit]


def _segment_from_state(state: CallState, seq: int) -> SegmentReceived | None:
    """The final segment stored at ``seq``, rebuilt from the call's warm state (with any later redaction
    amendment applied), which saves the background job a read of the log. Jobs are for recent segments, so
    only the last few are searched."""
    for segment in reversed(state.segments[-_STATE_LOOKBACK:]):
        if segment.seq == seq:
            return SegmentReceived(segment_id=segment.segment_id, speaker=segment.speaker, text=segment.text,
                                   start=segment.start, end=segment.end, confidence=segment.confidence,
                                   final=segment.final)
        if segment.seq < seq:
            return None
    return None
