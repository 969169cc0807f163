"""``assist_llm``: the orchestrator's LLM-reformulated query, as a second, slower stage after ``assist``.

List it after ``assist`` in ``pipeline.background`` and give it a chat-completions server
(``analyzers.assist_llm: {base_url, model, api_key?}``). Whenever ``assist`` has run on a segment, this asks the
LLM for a search query from the customer's recent (redacted) words and the detected issue, searches with it,
and shows the articles the fast stage did not. The background path stores each analyzer's events as soon as it
is done, so the fast cards reach the agent first and the LLM's seconds never hold them back.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.assist.knowledge import DEFAULT_KB, KnowledgeHandle, KnowledgeService
from callpilot.assist.orchestrator.analyzer import (
    RunRecorder,
    make_cards,
    number_option,
    recent_customer,
    trigger_seq,
)
from callpilot.assist.orchestrator.llm import OpenAIReformulator, QueryReformulator
from callpilot.assist.retrieval.hybrid import SearchHit
from callpilot.core.errors import ConfigError, NotFound
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived
from callpilot.domain.events.assist import SuggestionsProvided

__all__ = ["AssistLlmAnalyzer"]


class AssistLlmAnalyzer(Analyzer):
    name: ClassVar[str] = "assist_llm"

    def __init__(self, *, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                 timeout_seconds: float | None = None, max_retries: int = 1, kb: str = DEFAULT_KB,
                 min_score: float | None = None, max_score_gap: float | None = None, max_suggestions: int = 2,
                 recent_segments: int = 3, database_url: str | None = None, search_path: str | None = None,
                 vector_store: str = "numpy", model_path: str | Path | None = None, encoder: str = "onnx-int8",
                 cache_dir: str | Path | None = None, reformulator: QueryReformulator | None = None,
                 knowledge: KnowledgeService | None = None) -> None:
        if reformulator is None:
            if not base_url or not model:
                raise ConfigError("assist_llm needs base_url and model (an OpenAI-compatible chat-completions "
                                  "server, e.g. base_url: http://127.0.0.1:11434/v1 for Ollama)")
            timeout = number_option("timeout_seconds", timeout_seconds, 5.0, 0.1, 120, analyzer="assist_llm")
            reformulator = OpenAIReformulator(base_url=base_url, model=model, api_key=api_key,
                                              timeout_seconds=timeout, max_retries=max_retries)
        self.reformulator = reformulator
        self.kb = kb
        self.min_score = number_option("min_score", min_score, 0.3, 0, 1, analyzer="assist_llm")
        self.max_score_gap = number_option("max_score_gap", max_score_gap, 0.25, 0, 1, analyzer="assist_llm")
        self.max_suggestions = int(number_option("max_suggestions", max_suggestions, 2, 1, 20, analyzer="assist_llm"))
        self.recent_segments = int(number_option("recent_segments", recent_segments, 3, 1, 20, analyzer="assist_llm"))
        self._knowledge = KnowledgeHandle(analyzer="assist_llm", database_url=database_url, search_path=search_path,
                                          vector_store=vector_store, model_path=model_path, encoder=encoder,
                                          cache_dir=cache_dir, service=knowledge)

    @property
    def knowledge(self) -> KnowledgeService:
        return self._knowledge.get()

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, SegmentReceived) or not event.final:
            return []
        state: dict[str, Any] = call.analyzers.get("assist") or {}
        seq = trigger_seq(call, event)
        if state.get("last_run_seq") != seq or not state.get("last_run_id"):
            return []  # the fast stage did not run on this segment (throttled, or not a trigger speaker)
        context = call.analyzers.get("context") or {}
        words = " ".join(s.text for s in recent_customer(call, event, self.recent_segments))
        run = RunRecorder(str(state["last_run_id"]), seq, event.end)
        started = time.perf_counter()
        answer = await self.reformulator.reformulate(
            issue=context.get("detected_issue"), customer_words=words,
            details=[e["value"] for e in context.get("detected_entities", [])][-8:])
        out: list[Event] = [run.action("query_formulation", "llm_reformulate", started, None, model=answer.model,
                                       prompt_tokens=answer.prompt_tokens,
                                       completion_tokens=answer.completion_tokens)]
        started = time.perf_counter()
        hits, missing = await asyncio.to_thread(self._search, answer.query, len(state.get("suggestions", [])))
        out.append(run.action("retrieval", "llm_search", started, hits[0].confidence if hits else None,
                              results=len(hits), kb=self.kb, **({"kb_missing": True} if missing else {})))
        cards = make_cards(hits, state, kb=self.kb, query=answer.query, min_score=self.min_score,
                           max_score_gap=self.max_score_gap, limit=self.max_suggestions)
        if cards:
            out.append(run.action("answer_cards", "llm_suggest", started, max(c.confidence for c in cards),
                                  cards=len(cards)))
            out.append(SuggestionsProvided(run_id=run.run_id, segment_id=event.segment_id, suggestions=cards))
        return out

    def _search(self, query: str, shown: int) -> tuple[list[SearchHit], bool]:
        try:
            return self.knowledge.search(self.kb, [query], k=self.max_suggestions + shown + 2), False
        except NotFound:
            return [], True
