"""Whether a result needs a human: a required field or the disposition below the review threshold, and the
reasons, in words a reviewer acts on."""

from __future__ import annotations

from collections.abc import Sequence

from callpilot.aftercall.fields.schema import FieldSchema
from callpilot.domain.analysis import Compliance, Disposition, FieldResult, IntentResult

__all__ = ["ReviewPolicy"]


class ReviewPolicy:
    def __init__(self, *, threshold: float = 0.8, critical_violations: bool = True) -> None:
        if not 0 <= threshold <= 1:
            raise ValueError("review threshold must be between 0 and 1")
        self.threshold = threshold
        self.critical_violations = critical_violations

    def reasons(self, schema: FieldSchema, fields: dict[str, FieldResult], disposition: Disposition,
                compliance: Compliance, extra: Sequence[str] = ()) -> list[str]:
        out = list(extra)
        for spec in schema.fields:
            result = fields.get(spec.name)
            if not spec.required or result is None:
                continue
            if result.value is None:
                out.append(f"fields.{spec.name}: required, not found ({result.note or 'not discussed'})")
            elif result.confidence < self.threshold:
                why = f"; {result.note}" if result.note else ""
                out.append(f"fields.{spec.name}: confidence {result.confidence:.2f} is below {self.threshold}{why}")
        if disposition.confidence < self.threshold:
            out.append(f"disposition: {disposition.value} with confidence {disposition.confidence:.2f} is below "
                       f"{self.threshold}")
        if self.critical_violations:
            out.extend(f"compliance: critical rule {v.rule_id} violated ({v.message})"
                       for v in compliance.violations if v.severity == "critical")
        return out

    @staticmethod
    def overall(intent: IntentResult, disposition: Disposition, schema: FieldSchema,
                fields: dict[str, FieldResult]) -> float:
        """The mean of the disposition's, the intent's and each required field's confidence."""
        parts = [disposition.confidence, intent.confidence]
        parts += [fields[s.name].confidence for s in schema.fields if s.required and s.name in fields]
        return round(sum(parts) / len(parts), 3)
