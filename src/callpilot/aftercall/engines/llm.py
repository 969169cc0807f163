"""The LLM engine: any OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp server, LM Studio,
OpenAI, OpenRouter) through the official ``openai`` SDK, which speaks the protocol, retries and times out.

This module builds the prompt (the redacted transcript, numbered, so the model can cite segments), asks for
JSON matching ``LlmAnswer``'s JSON schema, validates the answer with pydantic (asking once more when it is not
valid), and checks every value against the segments it cites: a field value the cited segments do not say, a
sentence they do not support, a disposition outside the configured set are dropped or flagged for review.
Sentiment and compliance come from the live analyzers, as in the local engine. Only redacted text is sent.

With ``fallback: local`` (the default) a failure (timeout, refused request, invalid answers) gives the local
engine's result, with the reason recorded and the call sent to review.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callpilot.aftercall.engines.base import AfterCallEngine, EngineResult
from callpilot.aftercall.engines.local import LocalEngine, compliance_of, sentiment_of, topics_of
from callpilot.aftercall.fields.schema import PII_TYPES, FieldSpec, FieldType
from callpilot.aftercall.fields.values import read_values
from callpilot.aftercall.grounding import sentence_support, value_supported
from callpilot.aftercall.view import CallView
from callpilot.analyzers.context.taxonomy import OTHER
from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import AnalyzerError, ConfigError, ErrorCategory
from callpilot.core.openai_errors import translate_openai_error
from callpilot.domain.analysis import (
    ActionItem,
    CallAnalysis,
    Disposition,
    FieldResult,
    IntentResult,
    Summary,
    SummarySentence,
)
from callpilot.domain.call import CallState
from callpilot.domain.events.aftercall import LlmUsage
from callpilot.embeddings.base import TextEncoder

__all__ = ["LlmAnswer", "LlmEngine"]

SYSTEM_PROMPT = (
    "You write the after-call wrap-up of a contact-center call. The transcript lines are numbered [n]; cite "
    "the numbers every statement comes from. Use only what was said: if a value was not said, give null. "
    "Bracketed placeholders such as [PHONE_NUMBER] are redacted personal data: for such a field answer with the "
    "placeholder exactly as written. Answer with one JSON object matching the schema, nothing else."
)
_SUPPORT = 0.5       # share of a sentence's content words the cited segments must hold
_MAX_CONFIDENCE = 0.9  # a model's say-so is never taken as certainty
_MAX_SEGMENT_CHARS = 600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LlmSentence(_Strict):
    text: str
    segments: list[int]


class LlmIntent(_Strict):
    name: str
    confidence: float = Field(ge=0, le=1)


class LlmAction(_Strict):
    text: str
    owner: Literal["agent", "customer", "team"]
    due: str | None
    segments: list[int]


class LlmDisposition(_Strict):
    value: str
    confidence: float = Field(ge=0, le=1)
    segments: list[int]


class LlmField(_Strict):
    name: str
    value: str | float | bool | None
    confidence: float = Field(ge=0, le=1)
    evidence: list[int]


class LlmAnswer(_Strict):
    """What the model is asked for (its JSON schema goes in the request)."""

    summary: list[LlmSentence] = Field(max_length=8)
    bullets: list[str] = Field(max_length=3)
    intent: LlmIntent
    resolution: Literal["resolved", "unresolved", "escalated", "follow_up"]
    action_items: list[LlmAction]
    disposition: LlmDisposition
    fields: list[LlmField]


class LlmEngine(AfterCallEngine):
    def __init__(self, *, local: LocalEngine, base_url: str, model: str, api_key: str | None = None,
                 timeout_seconds: float = 30.0, max_retries: int = 2, max_tokens: int = 1200,
                 attempts: int = 2, prompt_price_per_1k: float | None = None,
                 completion_price_per_1k: float | None = None, fallback: Literal["local", "none"] = "local",
                 response_format: Literal["json_schema", "json_object"] = "json_schema") -> None:
        try:
            from openai import AsyncOpenAI
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConfigError("the llm engine needs the openai package: pip install openai") from exc
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"aftercall llm base_url must be an http(s) URL, got {base_url!r}")
        if fallback not in ("local", "none"):
            raise ConfigError(f"aftercall llm fallback must be 'local' or 'none', got {fallback!r}")
        self.name = f"llm:{model}"
        self.local, self.model, self.max_tokens, self.attempts = local, model, max_tokens, max(1, attempts)
        self.schema, self.dispositions = local.schema, local.dispositions
        self.prices = (prompt_price_per_1k, completion_price_per_1k)
        self.fallback, self.response_format = fallback, response_format
        # Local servers take any key; the SDK insists on one. The SDK retries connection errors, 408/429/5xx
        # with backoff (max_retries) and enforces the timeout.
        self.client = AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_seconds,
                                  max_retries=max_retries)

    def use_vault(self, vault: Vault) -> None:
        self.vault = vault
        self.local.use_vault(vault)

    def use_encoder(self, encoder: TextEncoder) -> None:
        self.local.use_encoder(encoder)

    def warm(self) -> None:
        self.local.warm()

    async def analyze(self, call: CallState, *, extra_reasons: list[str] | None = None) -> EngineResult:
        view = await asyncio.to_thread(self.local.view, call)
        usage = _Usage(self.model)
        try:
            answer = await self._ask(view, usage)
        except AnalyzerError as exc:
            if self.fallback != "local":
                raise
            reason = f"the LLM engine failed ({exc}); this is the local engine's result"
            local = await self.local.analyze(call, extra_reasons=[*(extra_reasons or []), reason])
            return EngineResult(analysis=local.analysis, usage=usage.done(self.prices), fallback_reason=str(exc))
        analysis = await asyncio.to_thread(self._ground, view, answer, list(extra_reasons or []))
        return EngineResult(analysis=analysis, usage=usage.done(self.prices))

    # -- the request ---------------------------------------------------------------------------------------
    async def _ask(self, view: CallView, usage: _Usage) -> LlmAnswer:
        import openai

        messages: Any = [{"role": "system", "content": SYSTEM_PROMPT},
                                          {"role": "user", "content": self._prompt(view)}]
        problem = ""
        for _attempt in range(self.attempts):
            try:
                reply: Any = await self.client.chat.completions.create(
                    model=self.model, temperature=0, max_tokens=self.max_tokens, messages=messages,
                    response_format=self._format())
            except openai.OpenAIError as exc:
                raise translate_openai_error(exc) from exc
            usage.add(reply)
            content = (reply.choices[0].message.content or "") if reply.choices else ""
            try:
                return LlmAnswer.model_validate_json(_json_part(content))
            except ValidationError as exc:
                first = exc.errors()[0]
                problem = f"{'.'.join(str(p) for p in first['loc']) or 'answer'}: {first['msg']}"
                messages += [{"role": "assistant", "content": content[:4000]},
                             {"role": "user", "content": f"That was not valid ({problem}). Answer again with "
                                                         "only the JSON object."}]
        raise AnalyzerError(f"LLM answered invalid JSON {self.attempts} times (last: {problem})",
                            category=ErrorCategory.SERVER)

    def _format(self) -> Any:
        if self.response_format == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema", "json_schema": {"name": "call_wrap_up", "schema": LlmAnswer.model_json_schema()}}

    def _prompt(self, view: CallView) -> str:
        fields = [{"name": f.name, "type": f.type.value, "description": f.description,
                   **({"values": list(f.values)} if f.values else {})} for f in self.local.schema.fields]
        lines = _within_budget([f"[{s.index}] {s.speaker}: {s.text[:_MAX_SEGMENT_CHARS]}" for s in view.segments])
        return "\n".join([
            f"Intents (or '{OTHER}'): {', '.join(self.local.taxonomy.names)}",
            f"Dispositions: {', '.join(d.value for d in self.local.judge.dispositions)}",
            f"Fields: {json.dumps(fields)}",
            "Owners of action items: agent, customer or team. Bullets: the issue, what was done, what happens next.",
            f"Call date: {view.call_date.isoformat() if view.call_date else 'unknown'}",
            "Transcript:", *lines,
        ])

    # -- grounding -------------------------------------------------------------------------------------------
    def _ground(self, view: CallView, answer: LlmAnswer, reasons: list[str]) -> CallAnalysis:
        texts = {s.index: s.text for s in view.segments}

        def cited(indexes: list[int]) -> list[str]:
            return [texts[i] for i in indexes if i in texts]

        sentences = [SummarySentence(text=s.text, segments=sorted(set(i for i in s.segments if i in texts)))
                     for s in answer.summary if cited(s.segments) and sentence_support(s.text, cited(s.segments))
                     >= _SUPPORT]
        if len(sentences) < len(answer.summary):
            reasons.append(f"summary: {len(answer.summary) - len(sentences)} sentence(s) the cited segments do not "
                           "support were dropped")
        actions = [ActionItem(text=a.text, owner=a.owner, due=a.due, segments=sorted(set(a.segments) & set(texts)))
                   for a in answer.action_items if cited(a.segments) and sentence_support(a.text, cited(a.segments))
                   >= _SUPPORT]
        if len(actions) < len(answer.action_items):
            reasons.append(f"action items: {len(answer.action_items) - len(actions)} the cited segments do not "
                           "support were dropped")
        if answer.intent.name not in self.local.taxonomy.names and answer.intent.name != OTHER:
            reasons.append(f"intent: the model answered {answer.intent.name!r}, not in the taxonomy; 'other' is used")
        intent = self._intent(answer, view)
        # the local engine's rules run only for what the model got wrong (its fields and summary are not needed)
        local_actions = functools.cache(lambda: self.local.actions.find(view))
        disposition = self._disposition(answer, view, lambda: self.local.judge.judge(view, local_actions())[0],
                                        reasons)
        fields = self.local.personal({spec.name: self._field(spec, answer, view) for spec in self.local.schema.fields})
        bullets = [b for b in answer.bullets if sentence_support(b, [s.text for s in view.segments]) >= _SUPPORT]
        if not bullets:
            bullets = self.local.summarizer.summarize(view, intent=intent, actions=local_actions(),
                                                      disposition=disposition).bullets
        summary = Summary(text=" ".join(s.text for s in sentences), bullets=bullets, sentences=sentences)
        compliance = compliance_of(view)
        reasons = self.local.review.reasons(self.local.schema, fields, disposition, compliance, reasons)
        return CallAnalysis(
            engine=self.name, summary=summary, intent=intent, resolution=answer.resolution, action_items=actions,
            disposition=disposition, fields=fields, sentiment=sentiment_of(view), compliance=compliance,
            topics=topics_of(view, intent),
            confidence=self.local.review.overall(intent, disposition, self.local.schema, fields),
            needs_review=bool(reasons), review_reasons=reasons)

    def _intent(self, answer: LlmAnswer, view: CallView) -> IntentResult:
        name = answer.intent.name if answer.intent.name in self.local.taxonomy.names else OTHER
        return IntentResult(name=name, confidence=min(_MAX_CONFIDENCE, answer.intent.confidence),
                            segments=[s.index for s in view.by_speaker("customer")[:3]])

    def _disposition(self, answer: LlmAnswer, view: CallView, local: Callable[[], Disposition], reasons: list[str]
                     ) -> Disposition:
        allowed = {d.value.lower(): d.value for d in self.local.judge.dispositions}
        value = allowed.get(answer.disposition.value.lower())
        if value is None:
            reasons.append(f"disposition: the model answered {answer.disposition.value!r}, not a configured value; "
                           "the local engine's is used")
            return local()
        segments = sorted({i for i in answer.disposition.segments if 0 <= i < len(view.segments)})
        return Disposition(value=value, confidence=min(_MAX_CONFIDENCE, answer.disposition.confidence)
                           if segments else min(0.5, answer.disposition.confidence), segments=segments)

    def _field(self, spec: FieldSpec, answer: LlmAnswer, view: CallView) -> FieldResult:
        given = next((f for f in answer.fields if f.name == spec.name), None)
        if given is None or given.value is None:
            return FieldResult(value=None, confidence=0.0, note="the model found no value")
        segments = [s for s in view.segments if s.index in set(given.evidence)]
        confidence = min(_MAX_CONFIDENCE, given.confidence)
        if spec.type in PII_TYPES:
            for seg in segments:
                for candidate in read_values(spec, seg, call_date=view.call_date, loose=True):
                    if candidate.value == given.value or len(segments) == 1:
                        return FieldResult(value=candidate.value, confidence=confidence, evidence=[seg.index],
                                           sealed=candidate.sealed)
        elif spec.type is FieldType.STRING:
            if value_supported(given.value, [s.text for s in segments]):
                return FieldResult(value=given.value, confidence=confidence, evidence=[s.index for s in segments])
        else:
            said = {c.value for seg in segments for c in read_values(spec, seg, call_date=view.call_date, loose=True)}
            if _normal(spec, given.value) in said:
                return FieldResult(value=_normal(spec, given.value), confidence=confidence,
                                   evidence=[s.index for s in segments])
        return FieldResult(value=None, confidence=0.0, evidence=[s.index for s in segments],
                           note="the model's value is not in the segments it cites (dropped)")


def _normal(spec: FieldSpec, value: str | float | bool) -> str | float | bool:
    """The model's value in the canonical form the readers produce ("250" -> "$250.00" for money)."""
    if spec.type is FieldType.MONEY and isinstance(value, int | float | str):
        try:
            return f"${float(str(value).lstrip('$€£').replace(',', '')):.2f}"
        except ValueError:
            return value
    if spec.type is FieldType.WEEKDAY and isinstance(value, str):
        return value.strip().capitalize()
    if spec.type is FieldType.ENUM and isinstance(value, str):
        return next((v for v in spec.values if v.lower() == value.lower().strip()), value)
    if spec.type is FieldType.NUMBER and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number == int(number) else number
    return value


def _within_budget(lines: list[str], budget: int = 24_000) -> list[str]:
    """A long call's transcript cut to ``budget`` characters (about 6,000 tokens): as much of its start and of
    its end as fit, taken in turn (where the issue and the outcome are), with a marker for what is left out.
    The lines keep their numbers, so citations stay true."""
    if sum(len(line) + 1 for line in lines) <= budget:
        return lines
    head = tail = used = 0
    while head + tail < len(lines):
        from_start = head <= tail
        line = lines[head] if from_start else lines[len(lines) - 1 - tail]
        if used + len(line) + 1 > budget:
            break
        used += len(line) + 1
        head, tail = (head + 1, tail) if from_start else (head, tail + 1)
    return [*lines[:head], f"... ({len(lines) - head - tail} segments left out) ...", *lines[len(lines) - tail:]]


def _json_part(content: str) -> str:
    """The JSON object in the reply (some servers wrap it in a Markdown fence despite the request)."""
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if start != -1 and end > start else content


class _Usage:
    """Token accounting over the requests of one call."""

    def __init__(self, model: str) -> None:
        self.model, self.requests, self.prompt, self.completion = model, 0, 0, 0

    def add(self, reply: Any) -> None:
        self.requests += 1
        usage = getattr(reply, "usage", None)
        self.prompt += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.completion += int(getattr(usage, "completion_tokens", 0) or 0)

    def done(self, prices: tuple[float | None, float | None]) -> LlmUsage | None:
        if self.requests == 0:
            return None
        cost = None
        if prices[0] is not None and prices[1] is not None:
            cost = round(self.prompt / 1000 * prices[0] + self.completion / 1000 * prices[1], 6)
        return LlmUsage(model=self.model, requests=self.requests, prompt_tokens=self.prompt,
                        completion_tokens=self.completion, cost=cost)
