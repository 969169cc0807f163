"""The suggestion orchestrator, a background analyzer: for each run, context analysis -> query formulation ->
retrieval -> answer cards -> clarifying questions, each step recorded as an ``AgentActionRecorded`` event.

Runs are throttled: at most one every ``min_interval_seconds`` of the call's own clock (segment end times) and
of the wall clock, so that neither a live call nor a replay or load test that sends a call's segments faster
than real time runs more often. A customer segment that arrives inside the window is not dropped: the first
segment after the window (either speaker's) runs with the latest context, so the newest context wins.
By default only customer speech makes a run due (``trigger_speakers``). Articles already shown in the call
are not shown again, and questions are asked once and ticked off when the context finds their answer.

Feedback on a card (``SuggestionFeedbackGiven``) is remembered in the knowledge base against the card's query,
so that a document marked irrelevant ranks lower for similar queries afterwards, in every call.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.context.entities import EntityExtractor
from callpilot.assist.knowledge import DEFAULT_KB, KnowledgeHandle, KnowledgeService
from callpilot.assist.orchestrator.queries import Context, Queries, formulate, read_context
from callpilot.assist.orchestrator.questions import ISSUE_SLOT, load_questions
from callpilot.assist.retrieval.hybrid import FEEDBACK_WEIGHTS, SearchHit, SearchMode
from callpilot.core.errors import ConfigError, NotFound
from callpilot.core.logging import get_logger
from callpilot.domain.call import CallState, Segment
from callpilot.domain.events import Event, SegmentReceived, SuggestionFeedbackGiven
from callpilot.domain.events.assist import (
    AgentActionRecorded,
    ClarifyingQuestionAnswered,
    ClarifyingQuestionsAsked,
    SuggestionCard,
    SuggestionsProvided,
)

__all__ = ["AssistAnalyzer", "RunRecorder", "make_cards", "number_option", "recent_customer", "trigger_seq"]

log = get_logger(__name__)
_LOOKBACK = 64


class AssistAnalyzer(Analyzer):
    name: ClassVar[str] = "assist"
    triggers: ClassVar[tuple[type[Event], ...]] = (SegmentReceived, SuggestionFeedbackGiven)

    MIN_INTERVAL_SECONDS: ClassVar[float] = 2.0
    MAX_SUGGESTIONS: ClassVar[int] = 3
    MIN_SCORE: ClassVar[float] = 0.3
    MAX_SCORE_GAP: ClassVar[float] = 0.25  # a second card must be this close to the best one
    MIN_CONTEXT_CONFIDENCE: ClassVar[float] = 0.5
    MAX_QUESTIONS: ClassVar[int] = 2
    RECENT_SEGMENTS: ClassVar[int] = 3

    def __init__(self, *, kb: str = DEFAULT_KB, database_url: str | None = None, vector_store: str = "numpy",
                 model_path: str | Path | None = None, encoder: str = "onnx-int8", cache_dir: str | Path | None = None,
                 search_path: str | None = None,
                 min_interval_seconds: float | None = None,
                 max_suggestions: int | None = None, min_score: float | None = None,
                 max_score_gap: float | None = None,
                 min_context_confidence: float | None = None, max_questions: int | None = None,
                 trigger_speakers: Sequence[str] = ("customer",), recent_segments: int | None = None,
                 questions: str | Path | None = None, products: Sequence[str] = (),
                 knowledge: KnowledgeService | None = None, clock: Callable[[], float] = time.time) -> None:
        """``clock`` (Unix seconds) is for tests that control the wall clock."""
        self.clock = clock
        self.kb = kb
        self.min_interval = number_option("min_interval_seconds", min_interval_seconds, self.MIN_INTERVAL_SECONDS,
                                          0, 3600)
        self.max_suggestions = int(number_option("max_suggestions", max_suggestions, self.MAX_SUGGESTIONS, 1, 20))
        self.min_score = number_option("min_score", min_score, self.MIN_SCORE, 0, 1)
        self.max_score_gap = number_option("max_score_gap", max_score_gap, self.MAX_SCORE_GAP, 0, 1)
        self.min_context_confidence = number_option("min_context_confidence", min_context_confidence,
                                              self.MIN_CONTEXT_CONFIDENCE, 0, 1)
        self.max_questions = int(number_option("max_questions", max_questions, self.MAX_QUESTIONS, 0, 10))
        self.recent_segments = int(number_option("recent_segments", recent_segments, self.RECENT_SEGMENTS, 1, 20))
        bad = [s for s in trigger_speakers if s not in ("agent", "customer")]
        if bad or not trigger_speakers:
            raise ConfigError(f"assist option trigger_speakers must list agent and/or customer, got {trigger_speakers}")
        self.trigger_speakers = frozenset(trigger_speakers)
        self.questions = load_questions(questions)
        self.extractor = EntityExtractor(products=products)
        self._knowledge = KnowledgeHandle(analyzer="assist", database_url=database_url, search_path=search_path,
                                          vector_store=vector_store, model_path=model_path, encoder=encoder,
                                          cache_dir=cache_dir, service=knowledge)

    @property
    def knowledge(self) -> KnowledgeService:
        return self._knowledge.get()

    def warm(self) -> None:
        """Open the store, load the query encoder and build the knowledge base's index now (at start-up, in a
        thread) rather than in the first call's first run; a base not ingested yet is built when it appears."""
        self.knowledge.embed_queries(["warm up"])
        try:
            self.knowledge.index(self.kb)
        except NotFound:
            log.warning("assist_kb_missing", kb=self.kb, hint=f"callpilot kb ingest PATH --kb {self.kb}")

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if isinstance(event, SuggestionFeedbackGiven):
            await self._remember_feedback(call, event)
            return []
        if not isinstance(event, SegmentReceived) or not event.final:
            return []
        state: dict[str, Any] = call.analyzers.get("assist") or {}
        started = time.perf_counter()
        # every segment reads the context (questions tick off); only a due run needs the recent words, unless
        # the fallback context is built from them
        recent = None if call.analyzers.get("context") else recent_customer(call, event, self.recent_segments)
        context = read_context(call.analyzers, recent or [], self.extractor)
        out: list[Event] = self._answered(state, context, event)
        seq = trigger_seq(call, event)
        if not self._due(call, state, event, seq):
            return out
        if recent is None:
            recent = recent_customer(call, event, self.recent_segments)
        run = RunRecorder(uuid.uuid4().hex[:16], seq, event.end, wall_time=self.clock())
        out.append(run.action("context_analysis", "read_context" if context.source == "context" else "fallback",
                              started, context.confidence, issue=context.issue, sufficient=context.sufficient,
                              entities=len(context.entities)))
        started = time.perf_counter()
        queries = formulate(context, recent)
        out.append(run.action("query_formulation", "formulate", started, None, queries=len(queries.all),
                              entity_query=queries.entity is not None))
        cards: list[SuggestionCard] = []
        if queries.all:
            started = time.perf_counter()
            hits, missing = await asyncio.to_thread(self._search, queries, len(state.get("suggestions", [])))
            out.append(run.action("retrieval", "search", started, hits[0].confidence if hits else None,
                                  results=len(hits), kb=self.kb, **({"kb_missing": True} if missing else {})))
            started = time.perf_counter()
            cards = self._cards(hits, state, queries.all)
            if cards:
                out.append(run.action("answer_cards", "suggest", started, max(c.confidence for c in cards),
                                      cards=len(cards)))
                out.append(SuggestionsProvided(run_id=run.run_id, segment_id=event.segment_id, suggestions=cards))
        unsure = not context.sufficient or context.confidence < self.min_context_confidence
        if (unsure or not cards) and self.max_questions:
            started = time.perf_counter()
            asked = {q["question_id"] for q in state.get("questions", [])}
            questions = [q for q in self.questions.missing(context.issue, context.entity_types)
                         if q.question_id not in asked][:self.max_questions]
            if questions:
                reason = "context insufficient" if unsure else "no article scored above the threshold"
                out.append(run.action("clarification", "ask", started, None, questions=len(questions)))
                out.append(ClarifyingQuestionsAsked(run_id=run.run_id, segment_id=event.segment_id, reason=reason,
                                                    questions=questions))
        return out

    def _due(self, call: CallState, state: dict[str, Any], event: SegmentReceived, seq: int) -> bool:
        """``seq``: the event's sequence number (``trigger_seq``)."""
        last_seq = int(state.get("last_run_seq", 0))
        # Only speech up to this segment counts: in the background the state may already hold later segments,
        # and those have jobs of their own. A run here would read the words only up to this segment and, by
        # starting the throttle window, hold back the later segment's own run.
        pending = event.speaker in self.trigger_speakers or any(
            last_seq < s.seq <= seq and s.speaker in self.trigger_speakers for s in call.segments[-20:])
        last_at, last_wall = state.get("last_run_at"), state.get("last_run_wall")
        if not pending or last_at is None:
            return pending
        call_clock = event.end - float(last_at) >= self.min_interval
        wall_clock = last_wall is None or self.clock() - float(last_wall) >= self.min_interval
        return call_clock and wall_clock

    def _answered(self, state: dict[str, Any], context: Context, event: SegmentReceived) -> list[Event]:
        known = context.entity_types | ({ISSUE_SLOT} if context.issue else set())
        return [ClarifyingQuestionAnswered(question_id=q["question_id"], slot=q["slot"], segment_id=event.segment_id)
                for q in state.get("questions", []) if q.get("status") == "open" and q["slot"] in known]

    def _search(self, queries: Queries, shown: int) -> tuple[list[SearchHit], bool]:
        mode: SearchMode = "hybrid" if queries.dense else "bm25"
        try:
            return self.knowledge.search(self.kb, queries.all, k=self.max_suggestions + shown + 2, mode=mode,
                                         dense_queries=queries.dense or None,
                                         highlight_query=queries.highlight), False
        except NotFound:
            return [], True

    def _cards(self, hits: list[SearchHit], state: dict[str, Any], queries: list[str]) -> list[SuggestionCard]:
        return make_cards(hits, state, kb=self.kb, query=queries[0], min_score=self.min_score,
                          max_score_gap=self.max_score_gap, limit=self.max_suggestions)

    async def _remember_feedback(self, call: CallState, event: SuggestionFeedbackGiven) -> None:
        card = next((c for c in (call.analyzers.get("assist") or {}).get("suggestions", [])
                     if c["suggestion_id"] == event.suggestion_id), None)
        if card is None or event.feedback not in FEEDBACK_WEIGHTS:
            log.info("assist_feedback_unmatched", call_id=call.call_id, suggestion_id=event.suggestion_id)
            return
        await asyncio.to_thread(self.knowledge.record_feedback, card["kb"], doc_id=card["doc_id"],
                                feedback=event.feedback, query=card["query"], call_id=call.call_id,
                                suggestion_id=event.suggestion_id)


def make_cards(hits: list[SearchHit], state: dict[str, Any], *, kb: str, query: str, min_score: float,
               max_score_gap: float, limit: int) -> list[SuggestionCard]:
    """Cards for the hits not shown yet in the call, confident enough and close enough to the best hit."""
    shown = {c["doc_id"] for c in state.get("suggestions", [])}
    best = max((h.confidence for h in hits), default=0.0)
    cards: list[SuggestionCard] = []
    for hit in hits:
        if hit.doc_id in shown or hit.confidence < max(min_score, best - max_score_gap):
            continue
        cards.append(SuggestionCard(
            suggestion_id="sg_" + uuid.uuid4().hex[:12], type="faq" if hit.kind == "faq" else "article",
            kb=kb, doc_id=hit.doc_id, title=hit.title, snippet=hit.snippet, highlight=hit.highlight,
            source=hit.source, confidence=round(hit.confidence, 4), score=round(hit.score, 6), query=query))
        if len(cards) == limit:
            break
    return cards


class RunRecorder:
    """Stamps each step of one run as an AgentActionRecorded event."""

    def __init__(self, run_id: str, trigger_seq: int, call_time: float, *, wall_time: float | None = None) -> None:
        self.run_id, self.trigger_seq, self.call_time, self.wall_time = run_id, trigger_seq, call_time, wall_time

    def action(self, agent: str, action: str, started: float, confidence: float | None, **details: Any
               ) -> AgentActionRecorded:
        return AgentActionRecorded(run_id=self.run_id, agent=agent, action=action,
                                   processing_ms=round((time.perf_counter() - started) * 1000, 3),
                                   confidence=None if confidence is None else round(min(1.0, confidence), 4),
                                   trigger_seq=self.trigger_seq, call_time=self.call_time, wall_time=self.wall_time,
                                   details={k: v for k, v in details.items() if v is not None})


def trigger_seq(call: CallState, event: SegmentReceived) -> int:
    """The sequence number ``event`` has (background path: already in the state) or will have (inline)."""
    index = _stored_index(call, event)
    return call.segments[index].seq if index is not None else call.seq + 1


def recent_customer(call: CallState, event: SegmentReceived, count: int) -> list[Segment]:
    """The customer's last ``count`` final segments up to and including ``event``."""
    index = _stored_index(call, event)
    if index is None:  # inline: the event is not in the state yet
        earlier = call.segments
        latest = [Segment(seq=call.seq + 1, **event.model_dump())] if event.speaker == "customer" else []
    else:
        earlier, latest = call.segments[:index + 1], []
    found = [s for s in earlier[-(_LOOKBACK + count):] if s.speaker == "customer"] + latest
    return found[-count:]


def _stored_index(call: CallState, event: SegmentReceived) -> int | None:
    """Where ``event`` is in the state's segments (the last few are searched: jobs are for recent ones)."""
    first = max(0, len(call.segments) - _LOOKBACK)
    for index in range(len(call.segments) - 1, first - 1, -1):
        if call.segments[index].segment_id == event.segment_id:
            return index
    return None


def number_option(name: str, value: float | None, default: float, low: float, high: float, *,
                  analyzer: str = "assist") -> float:
    chosen = default if value is None else value
    if not isinstance(chosen, int | float) or isinstance(chosen, bool) or not low <= chosen <= high:
        raise ConfigError(f"{analyzer} option {name} must be a number between {low} and {high}, got {value!r}")
    return float(chosen)
