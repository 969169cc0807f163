"""The after-call analysis: the versioned result every engine produces (``CallAnalysis``).

Everything in it is grounded: a summary sentence, an action item, the disposition and each field value cite
the segments they came from by index (0-based, in the order of the call's final segments, which is also the
order of a transcript file's ``segments``). What cannot be grounded is left out or flagged for review.

``SCHEMA_VERSION`` changes whenever a field is removed or changes meaning; ``docs/aftercall.schema.json`` is
``CallAnalysis.model_json_schema()`` (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_DISPOSITIONS",
    "SCHEMA_VERSION",
    "ActionItem",
    "CallAnalysis",
    "Compliance",
    "ComplianceMiss",
    "ComplianceViolation",
    "Disposition",
    "FieldResult",
    "FieldValue",
    "IntentResult",
    "Resolution",
    "SentimentSummary",
    "Summary",
    "SummarySentence",
]

SCHEMA_VERSION = 1
DEFAULT_DISPOSITIONS = ("Booked", "Lead", "Spam", "Resolved", "Unresolved", "Escalated", "Callback")

Resolution = Literal["resolved", "unresolved", "escalated", "follow_up"]
FieldValue = str | float | int | bool | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SummarySentence(_Model):
    text: str
    segments: list[int] = Field(description="indexes of the segments this sentence says")


class Summary(_Model):
    text: str = Field(description="the sentences below, joined")
    bullets: list[str] = Field(description="three short bullets: the issue, what was done, what happens next")
    sentences: list[SummarySentence] = Field(default_factory=list)


class IntentResult(_Model):
    name: str = Field(description="an intent of the configured taxonomy, or 'other'")
    confidence: float = Field(ge=0, le=1)
    segments: list[int] = Field(default_factory=list, description="the customer's segments it was read from")


class ActionItem(_Model):
    text: str
    owner: Literal["agent", "customer", "team"]
    due: str | None = Field(None, description="as said: 'within 5 business days', 'tomorrow', 'by Friday'")
    segments: list[int]


class Disposition(_Model):
    value: str = Field(description="one of the configured dispositions")
    confidence: float = Field(ge=0, le=1)
    segments: list[int] = Field(default_factory=list, description="the evidence")


class FieldResult(_Model):
    value: FieldValue = Field(description="normalised by type; None when the call did not establish it")
    confidence: float = Field(ge=0, le=1)
    evidence: list[int] = Field(default_factory=list, description="segments the value was read from")
    sealed: str | None = Field(
        None, description="personal data (phone, email, address): the raw value sealed by the PII vault; "
        "``value`` then holds only the placeholder said in the redacted transcript")
    note: str | None = Field(None, description="why the value is missing or uncertain")


class SentimentSummary(_Model):
    start: float | None = Field(description="the customer's smoothed sentiment early in the call, -1..1")
    end: float | None = Field(description="the customer's smoothed sentiment at the end, -1..1")
    trend: Literal["improving", "worsening", "steady", "unknown"]


class ComplianceViolation(_Model):
    rule_id: str
    severity: str
    message: str
    segment: int | None = None
    evidence: str


class ComplianceMiss(_Model):
    rule_id: str
    severity: str
    message: str
    reason: str | None = None


class Compliance(_Model):
    ruleset: str | None = None
    violations: list[ComplianceViolation] = Field(default_factory=list)
    missed_requirements: list[ComplianceMiss] = Field(default_factory=list)


class CallAnalysis(_Model):
    """What the after-call job concluded about one call (schema version ``SCHEMA_VERSION``)."""

    schema_version: int = SCHEMA_VERSION
    engine: str = Field(description="the engine that produced it: local, or llm:<model>")
    summary: Summary
    intent: IntentResult
    resolution: Resolution
    action_items: list[ActionItem] = Field(default_factory=list)
    disposition: Disposition
    fields: dict[str, FieldResult] = Field(default_factory=dict, description="keyed by the schema's field names")
    sentiment: SentimentSummary
    compliance: Compliance
    topics: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1, description="overall")
    needs_review: bool
    review_reasons: list[str] = Field(default_factory=list)
