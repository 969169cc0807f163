"""An LLM that reformulates what the customer said into a knowledge-base query, through any OpenAI-compatible
chat-completions server (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI, OpenRouter) with the official
``openai`` SDK, which speaks the protocol; this module only builds the prompt and translates the SDK's errors.

Only redacted text reaches it: segments are redacted before anything reads them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from callpilot.core.errors import AnalyzerError, ConfigError, ErrorCategory
from callpilot.core.openai_errors import translate_openai_error

__all__ = ["OpenAIReformulator", "QueryReformulator", "Reformulation"]

SYSTEM_PROMPT = (
    "You help a contact-center agent search the company's knowledge base. Turn what the customer said into one "
    "short search query (at most 12 words) naming the problem, the product and any error code. Bracketed "
    "placeholders such as [PERSON] are redacted personal data: leave them out. Answer with the query only."
)
_MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class Reformulation:
    query: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class QueryReformulator(ABC):
    @abstractmethod
    async def reformulate(self, *, issue: str | None, details: list[str], customer_words: str) -> Reformulation:
        """A search query for the knowledge base; raises AnalyzerError saying how it failed."""


class OpenAIReformulator(QueryReformulator):
    def __init__(self, *, base_url: str, model: str, api_key: str | None = None, timeout_seconds: float = 5.0,
                 max_retries: int = 1, max_tokens: int = 40) -> None:
        try:
            from openai import AsyncOpenAI
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConfigError("the LLM query step needs the openai package: pip install openai") from exc
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"assist_llm base_url must be an http(s) URL, got {base_url!r}")
        self.model, self.max_tokens = model, max_tokens
        # Local servers take any key; the SDK insists on one.
        self.client = AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_seconds,
                                  max_retries=max_retries)

    async def reformulate(self, *, issue: str | None, details: list[str], customer_words: str) -> Reformulation:
        import openai

        prompt = (f"Issue: {issue.replace('_', ' ') if issue else 'not clear yet'}\n"
                  f"Details: {', '.join(details) or 'none'}\nCustomer: {customer_words}")
        try:
            answer: Any = await self.client.chat.completions.create(
                model=self.model, temperature=0, max_tokens=self.max_tokens,
                messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}])
        except openai.OpenAIError as exc:
            raise translate_openai_error(exc) from exc
        text = (answer.choices[0].message.content or "") if answer.choices else ""
        query = text.strip().splitlines()[0].strip().strip('"').strip() if text.strip() else ""
        if not query:
            raise AnalyzerError("LLM server answered an empty query", category=ErrorCategory.SERVER)
        usage = getattr(answer, "usage", None)
        return Reformulation(query=query[:_MAX_QUERY], model=str(getattr(answer, "model", self.model)),
                             prompt_tokens=getattr(usage, "prompt_tokens", None),
                             completion_tokens=getattr(usage, "completion_tokens", None))
