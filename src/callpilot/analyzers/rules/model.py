"""The ruleset model and its YAML loader: every rule is validated at load, and a bad one is named in the error."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from callpilot.analyzers.rules.linear_regex import RegexError, compile_regex
from callpilot.analyzers.rules.text import tokenize
from callpilot.core.errors import ConfigError
from callpilot.domain.events.rules import Severity

__all__ = ["SHIPPED", "Rule", "RuleKind", "Ruleset", "Window", "load_ruleset", "load_rulesets", "shipped_rulesets"]

RuleKind = Literal["prohibited", "required", "ordering"]
SHIPPED = "callpilot.analyzers.rules.rulesets"
DEFAULT_THRESHOLD = 88.0


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Strict):
    """When a required statement is due; exactly one limit. Without a window it is due by the end of the call."""

    agent_seconds: float | None = Field(None, gt=0, description="within the first N seconds of agent speech")
    agent_segments: int | None = Field(None, gt=0, description="within the agent's first N segments")
    call_seconds: float | None = Field(None, gt=0, description="in a segment starting within N s of call start")

    @model_validator(mode="after")
    def _one_limit(self) -> Window:
        if sum(v is not None for v in (self.agent_seconds, self.agent_segments, self.call_seconds)) != 1:
            raise ValueError("give exactly one of agent_seconds, agent_segments, call_seconds")
        return self

    def describe(self) -> str:
        if self.agent_seconds is not None:
            return f"within the first {self.agent_seconds:g} s of agent speech"
        if self.agent_segments is not None:
            return f"within the agent's first {self.agent_segments} segment(s)"
        return f"within the first {self.call_seconds:g} s of the call"


class Rule(_Strict):
    """One rule. ``prohibited``: a match is a violation. ``required``: a match meets it, in its window.
    ``ordering``: a match while any rule in ``requires`` is not yet met is a violation."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")
    kind: RuleKind
    description: str = Field(min_length=1, max_length=300)
    severity: Severity
    message: str = Field(min_length=1, max_length=300)
    speaker: Literal["agent", "customer", "any"] = "agent"
    phrases: list[str] = Field(default_factory=list, description="matched on word boundaries, ASR-tolerant")
    patterns: list[str] = Field(default_factory=list, description="RE2 regexes, case-insensitive")
    allow: list[str] = Field(default_factory=list, description="phrases that excuse an overlapping match")
    fuzzy: bool = True
    threshold: float | None = Field(None, ge=50, le=100, description="fuzzy score (0-100) a phrase match needs")
    queues: list[str] = Field(default_factory=list, description="applies only on these queues (any if empty)")
    campaigns: list[str] = Field(default_factory=list, description="applies only on these campaigns (any if empty)")
    within: Window | None = None
    requires: list[str] = Field(default_factory=list)

    @field_validator("phrases", "allow")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            if not tokenize(phrase):
                raise ValueError(f"phrase {phrase!r} has no words")
        return phrases

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                compile_regex(pattern)
            except RegexError as exc:
                raise ValueError(f"pattern {pattern!r} is not a valid RE2 regex: {exc}") from None
        return patterns

    @field_validator("queues", "campaigns")
    @classmethod
    def _lower(cls, names: list[str]) -> list[str]:
        return [n.strip().lower() for n in names]

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if not self.phrases and not self.patterns:
            raise ValueError("a rule needs phrases or patterns")
        if self.within is not None and self.kind != "required":
            raise ValueError("'within' applies to required rules only")
        if (self.kind == "ordering") != bool(self.requires):
            raise ValueError("'requires' is needed by ordering rules, and only by them")
        return self

    def applies(self, queue: str | None, campaign: str | None) -> bool:
        """Whether the rule is in scope for a call on this queue and campaign (names compared lower-case)."""
        if self.queues and (queue or "").lower() not in self.queues:
            return False
        return not (self.campaigns and (campaign or "").lower() not in self.campaigns)

    def due(self) -> str:
        return self.within.describe() if self.within is not None else "by call end"


class Ruleset(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    version: str = "1"
    description: str = ""
    threshold: float = Field(DEFAULT_THRESHOLD, ge=50, le=100, description="default fuzzy score for phrases")
    rules: list[Rule]

    @model_validator(mode="after")
    def _references(self) -> Ruleset:
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule id(s) used more than once: {', '.join(duplicates)}")
        required = {r.id for r in self.rules if r.kind == "required"}
        for rule in self.rules:
            unknown = [ref for ref in rule.requires if ref not in required]
            if unknown:
                raise ValueError(f"rule {rule.id!r}: 'requires' names no required rule: {', '.join(unknown)}")
        return self

    def threshold_of(self, rule: Rule) -> float | None:
        """The fuzzy score a phrase of this rule needs, or None when the rule matches exact words only."""
        if not rule.fuzzy:
            return None
        return rule.threshold if rule.threshold is not None else self.threshold


def shipped_rulesets() -> list[str]:
    """Names of the rulesets that come with callpilot."""
    folder = resources.files(SHIPPED)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_ruleset(ref: str | Path) -> Ruleset:
    """A ruleset from a YAML file path, or by the name of a shipped ruleset ("banking", "home_services")."""
    text, where = _read(ref)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"ruleset {where}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list) or not raw["rules"]:
        raise ConfigError(f"ruleset {where}: expected a mapping with a non-empty 'rules' list")
    rules = [_rule(where, i, item) for i, item in enumerate(raw["rules"])]
    try:
        return Ruleset.model_validate({**raw, "rules": rules})
    except ValidationError as exc:
        raise ConfigError(f"ruleset {where}: {_first_error(exc)}") from exc


def load_rulesets(refs: Iterable[str | Path | Ruleset]) -> Ruleset:
    """Several rulesets (paths, shipped names, or already built) run as one; rule ids must be unique across them
    (the error names any clash)."""
    loaded = [ref if isinstance(ref, Ruleset) else load_ruleset(ref) for ref in refs]
    if not loaded:
        raise ConfigError("no ruleset given")
    if len(loaded) == 1:
        return loaded[0]
    name = "+".join(r.name for r in loaded)
    # Each ruleset's own default threshold is kept by writing it into its rules.
    rules = [r if r.threshold is not None or not r.fuzzy else r.model_copy(update={"threshold": rs.threshold})
             for rs in loaded for r in rs.rules]
    try:
        return Ruleset(name=name, version="+".join(r.version for r in loaded), rules=rules)
    except ValidationError as exc:
        raise ConfigError(f"rulesets {name}: {_first_error(exc)}") from exc


def _read(ref: str | Path) -> tuple[str, str]:
    looks_like_path = isinstance(ref, Path) or "/" in ref or ref.endswith((".yaml", ".yml"))
    if looks_like_path:
        path = Path(ref)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ConfigError(f"ruleset file {path}: {exc.strerror or exc}") from exc
    assert isinstance(ref, str)
    known = shipped_rulesets()
    if ref not in known:
        raise ConfigError(f"unknown ruleset {ref!r}: give a YAML file path or one of {', '.join(known)}")
    return resources.files(SHIPPED).joinpath(f"{ref}.yaml").read_text(encoding="utf-8"), ref


def _rule(where: str, index: int, item: Any) -> Rule:
    rule_id = item.get("id") if isinstance(item, dict) else None
    name = f"rule {rule_id!r}" if isinstance(rule_id, str) else f"rule #{index + 1}"
    if not isinstance(item, dict):
        raise ConfigError(f"ruleset {where}: {name}: expected a mapping, got {type(item).__name__}")
    try:
        return Rule.model_validate(item)
    except ValidationError as exc:
        raise ConfigError(f"ruleset {where}: {name}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"
