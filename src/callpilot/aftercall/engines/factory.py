"""``analyzers.aftercall`` options -> an engine, checked at start-up (a bad schema file fails here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from callpilot.aftercall.engines.base import AfterCallEngine
from callpilot.aftercall.engines.local import LocalEngine
from callpilot.aftercall.fields.schema import load_field_schema
from callpilot.aftercall.outcome import load_dispositions
from callpilot.aftercall.review import ReviewPolicy
from callpilot.analyzers.context.taxonomy import load_taxonomy
from callpilot.core.errors import ConfigError

__all__ = ["ENGINES", "AfterCallOptions", "LlmOptions", "build_engine"]

ENGINES = ("local", "llm")


class LlmOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    max_tokens: int = Field(1200, ge=64)
    attempts: int = Field(2, ge=1, le=5, description="requests per call when the answer is not valid JSON")
    prompt_price_per_1k: float | None = Field(None, ge=0)
    completion_price_per_1k: float | None = Field(None, ge=0)
    fallback: Literal["local", "none"] = "local"
    response_format: Literal["json_schema", "json_object"] = "json_schema"


class AfterCallOptions(BaseModel):
    """The ``analyzers.aftercall`` settings."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["local", "llm"] = "local"
    fields_file: Path | None = Field(None, description="the CRM field schema (YAML)")
    dispositions_file: Path | None = None
    taxonomy: Path | None = Field(None, description="intents; default: the context analyzer's")
    products: list[str] | dict[str, list[str]] = Field(default_factory=list)
    model_path: Path | None = None
    review_threshold: float = Field(0.8, ge=0, le=1)
    review_critical_violations: bool = True
    llm: LlmOptions | None = None

    @classmethod
    def parse(cls, options: dict[str, Any]) -> AfterCallOptions:
        try:
            return cls.model_validate(options)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"analyzers.aftercall: {problems}") from exc


def build_engine(options: AfterCallOptions, *, encoder_factory: Any = None) -> AfterCallEngine:
    local = LocalEngine(
        schema=load_field_schema(options.fields_file), dispositions=load_dispositions(options.dispositions_file),
        taxonomy=load_taxonomy(options.taxonomy),
        review=ReviewPolicy(threshold=options.review_threshold, critical_violations=options.review_critical_violations),
        encoder_factory=encoder_factory, products=options.products, model_path=options.model_path,
    )
    if options.engine == "local":
        return local
    if options.llm is None:
        raise ConfigError("analyzers.aftercall: engine 'llm' needs an llm section (base_url, model, ...)")
    from callpilot.aftercall.engines.llm import LlmEngine

    return LlmEngine(local=local, **options.llm.model_dump())
