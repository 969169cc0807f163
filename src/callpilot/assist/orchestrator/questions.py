"""Clarifying questions from the missing slots of the detected issue (rule data in questions.yaml)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from callpilot.core.errors import ConfigError
from callpilot.core.yamlfile import read_yaml
from callpilot.domain.events.assist import ClarifyingQuestion

__all__ = ["ISSUE_SLOT", "QuestionBook", "load_questions"]

ISSUE_SLOT = "issue"


class _Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=3)
    priority: int = 50


class QuestionBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slots: dict[str, _Slot]
    intents: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_slots(self) -> QuestionBook:
        if ISSUE_SLOT not in self.slots:
            raise ValueError(f"slots must include {ISSUE_SLOT!r}")
        for intent, slots in self.intents.items():
            unknown = [s for s in slots if s not in self.slots]
            if unknown:
                raise ValueError(f"intent {intent!r} names unknown slots {unknown}")
        return self

    def missing(self, issue: str | None, known_types: Iterable[str]) -> list[ClarifyingQuestion]:
        """The questions still worth asking, highest priority first."""
        if issue is None:
            return [self._question(ISSUE_SLOT)]
        known = set(known_types)
        wanted = [s for s in self.intents.get(issue, []) if s not in known]
        return sorted((self._question(s) for s in wanted), key=lambda q: -q.priority)

    def _question(self, slot: str) -> ClarifyingQuestion:
        spec = self.slots[slot]
        question_id = "q_" + hashlib.sha1(f"{slot}:{spec.question}".encode()).hexdigest()[:10]
        return ClarifyingQuestion(question_id=question_id, slot=slot, text=spec.question, priority=spec.priority)


def load_questions(path: str | Path | None = None) -> QuestionBook:
    if path is None:
        source = files("callpilot.assist.orchestrator").joinpath("questions.yaml")
        data: Any = read_yaml(Path(str(source)), "clarifying questions")
    else:
        data = read_yaml(Path(path), "clarifying questions")
    try:
        return QuestionBook.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"clarifying questions {path or '(shipped)'}: {problems}") from None
