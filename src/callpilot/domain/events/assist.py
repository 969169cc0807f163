"""Events of the suggestion orchestrator (agent assist), and how they change the call's state.

``analyzers["assist"]`` holds every suggestion card shown in the call (newest first), the clarifying questions
asked (open or answered), and where the last run stood, which is what throttling and "never show the same
article twice" read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from callpilot.domain.events.base import AnalyzerApplier, Event

__all__ = [
    "APPLIERS", "EVENTS", "AgentActionRecorded", "ClarifyingQuestion", "ClarifyingQuestionAnswered",
    "ClarifyingQuestionsAsked", "SuggestionCard", "SuggestionsProvided",
]

MAX_CARDS = 50


class SuggestionCard(BaseModel):
    """A knowledge-base answer for the agent: ``snippet[highlight[0]:highlight[1]]`` is the answering sentence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    suggestion_id: str
    type: Literal["article", "faq"] = "article"
    kb: str
    doc_id: str
    title: str
    snippet: str
    highlight: tuple[int, int]
    source: str | None = None
    confidence: float = Field(ge=0, le=1)
    score: float
    query: str = Field(description="the (redacted) query that found it; feedback is remembered against it")


class SuggestionsProvided(Event):
    run_id: str
    segment_id: str
    suggestions: list[SuggestionCard]


class ClarifyingQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: str
    slot: str = Field(description="what the answer fills: issue, error_code, version, product, ...")
    text: str
    priority: int


class ClarifyingQuestionsAsked(Event):
    run_id: str
    segment_id: str
    reason: str
    questions: list[ClarifyingQuestion]


class ClarifyingQuestionAnswered(Event):
    question_id: str
    slot: str
    segment_id: str


class AgentActionRecorded(Event):
    """One step of one orchestrator run (the integration guide's agents), for agent-performance analytics."""

    run_id: str
    agent: str = Field(description="context_analysis, query_formulation, retrieval, answer_cards, clarification")
    action: str
    processing_ms: float = Field(ge=0)
    confidence: float | None = Field(None, ge=0, le=1)
    trigger_seq: int
    call_time: float = Field(description="the triggering segment's end, seconds into the call")
    wall_time: float | None = Field(None, description="when the run started (Unix time), for throttling")
    details: dict[str, Any] = Field(default_factory=dict)


def _state(analyzers: dict[str, Any]) -> dict[str, Any]:
    previous = analyzers.get("assist") or {}
    state = {"suggestions": list(previous.get("suggestions", [])), "questions": list(previous.get("questions", [])),
             "last_run_seq": previous.get("last_run_seq", 0), "last_run_at": previous.get("last_run_at"),
             "runs": previous.get("runs", 0), "last_run_id": previous.get("last_run_id"),
             "last_run_wall": previous.get("last_run_wall")}
    analyzers["assist"] = state
    return state


def _apply_action(analyzers: dict[str, Any], event: AgentActionRecorded, seq: int) -> None:
    state = _state(analyzers)
    if event.run_id != state["last_run_id"]:
        state["runs"] += 1
        state["last_run_id"] = event.run_id
    state["last_run_seq"] = max(state["last_run_seq"], event.trigger_seq)
    state["last_run_at"] = event.call_time
    if event.wall_time is not None:
        state["last_run_wall"] = event.wall_time


def _apply_suggestions(analyzers: dict[str, Any], event: SuggestionsProvided, seq: int) -> None:
    state = _state(analyzers)
    cards = [card.model_dump(mode="json") | {"seq": seq} for card in event.suggestions]
    state["suggestions"] = (cards + state["suggestions"])[:MAX_CARDS]


def _apply_questions(analyzers: dict[str, Any], event: ClarifyingQuestionsAsked, seq: int) -> None:
    state = _state(analyzers)
    state["questions"] = state["questions"] + [q.model_dump() | {"status": "open", "seq": seq}
                                               for q in event.questions]


def _apply_answered(analyzers: dict[str, Any], event: ClarifyingQuestionAnswered, seq: int) -> None:
    state = _state(analyzers)
    state["questions"] = [q | {"status": "answered", "answered_in": event.segment_id}
                          if q["question_id"] == event.question_id else q for q in state["questions"]]


EVENTS: tuple[type[Event], ...] = (AgentActionRecorded, SuggestionsProvided, ClarifyingQuestionsAsked,
                                   ClarifyingQuestionAnswered)

APPLIERS: dict[type[Event], AnalyzerApplier] = {
    AgentActionRecorded: _apply_action,
    SuggestionsProvided: _apply_suggestions,
    ClarifyingQuestionsAsked: _apply_questions,
    ClarifyingQuestionAnswered: _apply_answered,
}
