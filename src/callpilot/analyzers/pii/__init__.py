"""PII in call transcripts: numbers as people say them, and (to come) the recognizers and the redactor."""

from callpilot.analyzers.pii.spoken import DigitRun, find_digit_runs

__all__ = ["DigitRun", "find_digit_runs"]
