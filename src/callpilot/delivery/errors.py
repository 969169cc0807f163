"""What a delivery channel raises: whether trying again later can succeed."""

from __future__ import annotations

from callpilot.core.errors import CallpilotError

__all__ = ["DeliveryFailed"]


class DeliveryFailed(CallpilotError):
    """``retryable``: the receiver was down, slow or asked to wait; otherwise it refused (a dead letter)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the receiver asked us to wait (429 Retry-After)
        self.status = status  # the receiver's HTTP status, when there was one
