"""The signals analyzer's options: every threshold, the phrase files and the texts the agent sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from callpilot.core.errors import ConfigError
from callpilot.domain.events.signals import SIGNAL_KINDS, SignalKind

__all__ = ["ACTIONS", "SignalsOptions", "parse_options"]

# What the agent is told to do; "long_hold" is the long_silence variant for a hold the agent announced.
ACTIONS: dict[str, str] = {
    "repeated_question": "The customer asked this before: confirm you understood the question and answer it directly.",
    "frustration": "The customer is getting frustrated: acknowledge it, apologise once, and say what you will do next.",
    "human_requested": "The customer asked for a person or a supervisor: offer a transfer to a supervisor, "
                       "or say clearly how you will solve it now.",
    "confusion": "The customer seems confused: check what is unclear and explain again in simpler words.",
    "long_silence": "Long silence: check in with the customer and say what you are doing.",
    "long_hold": "Long hold: thank the customer for waiting and give an update or a time estimate.",
    "talk_over": "You are talking over the customer: pause and let them finish.",
}


class SignalsOptions(BaseModel):
    """Defaults are tuned on the sample calls; the cool-down applies to every signal kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phrase_files: list[Path] | None = Field(None, description="language YAML files (default: packaged en, es)")
    language: str = Field("auto", description="'auto' (per segment), 'metadata' (acd_metadata.language) or a code")
    match_all_languages: bool = Field(True, description="also try the other languages' phrases (code-switching)")
    signals: list[SignalKind] = Field(default_factory=lambda: list(SIGNAL_KINDS), description="kinds to report")
    max_chars: int = Field(2000, ge=50, description="only the first max_chars of a segment are read")
    fuzzy_threshold: float = Field(90.0, ge=50, le=100, description="rapidfuzz ratio for an ASR-garbled phrase")
    fuzzy_min_chars: int = Field(10, ge=4, description="shorter phrases match exactly only")
    short_max_tokens: int = Field(4, ge=1, description="a 'short' phrase counts in segments of up to this many words")
    repeat_threshold: float = Field(0.5, gt=0, le=1, description="Jaccard overlap of content words")
    repeat_memory: int = Field(5, ge=1, le=50, description="customer questions remembered")
    repeat_min_tokens: int = Field(2, ge=1, description="content words a question needs to be compared")
    semantic_threshold: float = Field(0.8, gt=0, le=1, description="for the optional similarity hook")
    frustration_threshold: float = Field(2.0, gt=0, description="level (sum of decayed cue weights) that fires")
    frustration_half_life: float = Field(120.0, gt=0, description="seconds for the level to halve")
    frustration_repeat_weight: float = Field(0.5, ge=0, description="what a repeated question adds to the level")
    frustration_max_per_segment: float = Field(2.0, gt=0, description="cap on what one segment adds")
    confusion_questions: int = Field(3, ge=2, description="customer questions in a row that signal confusion")
    confusion_window: float = Field(60.0, gt=0, description="seconds a run of questions may span")
    confusion_reset_words: int = Field(6, ge=1, description="an agent reply this long ends a run of questions")
    silence_seconds: float = Field(10.0, gt=0, description="a gap in speech this long is a long silence")
    hold_seconds: float = Field(60.0, gt=0, description="an announced hold this long is a long hold")
    talk_over_seconds: float = Field(1.0, gt=0, description="how far the agent must start inside customer speech")
    talk_over_min_words: int = Field(3, ge=1, description="shorter agent segments are backchannels, not talk-over")
    talk_over_count: int = Field(2, ge=1, description="talk-overs within talk_over_window that fire the signal")
    talk_over_window: float = Field(120.0, gt=0)
    cooldown_seconds: float = Field(45.0, ge=0, description="a kind re-fires only this long after it fired...")
    cooldown_segments: int = Field(0, ge=0, description="...and this many segments after (0: time alone counts)")
    active_seconds: float = Field(60.0, gt=0, description="a kind is 'active' for the supervisor this long")
    actions: dict[str, str] = Field(default_factory=dict, description="suggested actions replacing the defaults")

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(ACTIONS))
        if unknown:
            raise ValueError(f"unknown signal(s) {unknown}; known: {sorted(ACTIONS)}")
        if any(not text.strip() for text in value.values()):
            raise ValueError("a suggested action is empty")
        return value

    @field_validator("language")
    @classmethod
    def _language_form(cls, value: str) -> str:
        if value not in ("auto", "metadata") and not (value.isalpha() and value.islower() and 2 <= len(value) <= 3):
            raise ValueError("must be 'auto', 'metadata' or a language code such as 'en'")
        return value


def parse_options(options: dict[str, Any]) -> SignalsOptions:
    """Validate the options; a bad one is a ConfigError naming it."""
    try:
        return SignalsOptions.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(options)'}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"analyzer 'signals': bad option(s): {problems}") from exc
