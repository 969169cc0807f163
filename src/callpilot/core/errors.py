"""One root exception and the families the API boundary maps to HTTP statuses."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AnalyzerError",
    "CallAlreadyEnded",
    "CallAlreadyExists",
    "CallNotFound",
    "CallStillLive",
    "CallpilotError",
    "ConcurrencyConflict",
    "ConfigError",
    "ErrorCategory",
    "EventLogError",
    "InvalidInput",
    "KnowledgeBaseError",
    "NotFound",
    "StaleRevision",
    "StorageUnavailable",
]


class CallpilotError(Exception):
    """Root of every error callpilot raises on purpose."""


class ConfigError(CallpilotError):
    """Settings or a settings file are wrong; raised at start-up, never swallowed."""


class InvalidInput(CallpilotError):
    """Input that passed schema validation but breaks a domain rule."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CallNotFound(CallpilotError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"unknown call/session {call_id!r}")
        self.call_id = call_id


class CallAlreadyEnded(CallpilotError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id!r} has already ended")
        self.call_id = call_id


class CallAlreadyExists(CallpilotError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id!r} already exists and has ended; use a new call id")
        self.call_id = call_id


class CallStillLive(CallpilotError):
    def __init__(self, call_id: str, what: str) -> None:
        super().__init__(f"call {call_id!r} is still live: {what} needs an ended call")
        self.call_id = call_id


class StaleRevision(CallpilotError):
    """A review action names a revision of the analysis that a newer run has replaced."""


class EventLogError(CallpilotError):
    """Anything the event log's storage reports, translated from the driver's exception."""


class ConcurrencyConflict(EventLogError):
    """Another writer appended to the same call first (the expected sequence number was taken)."""


class StorageUnavailable(EventLogError):
    """The database cannot be reached or refused the operation for a transient reason."""


class NotFound(CallpilotError):
    """A named resource other than a call (a knowledge base, an article) does not exist."""


class KnowledgeBaseError(CallpilotError):
    """A knowledge-base file or article cannot be ingested (the message names the file and the reason)."""


class ErrorCategory(StrEnum):
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    CONNECTIVITY = "connectivity"
    SERVER = "server"
    BAD_INPUT = "bad_input"
    INTERNAL = "internal"


class AnalyzerError(CallpilotError):
    """What an analyzer raises to say how it failed; anything else counts as an internal error."""

    def __init__(self, message: str, *, category: ErrorCategory, permanent: bool = False) -> None:
        super().__init__(message)
        self.category = category
        self.permanent = permanent
