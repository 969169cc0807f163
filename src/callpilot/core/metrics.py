"""Prometheus metrics, registered once per process (see /metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from callpilot.domain.events import RecordedEvent

__all__ = [
    "EVENTS_APPENDED",
    "count_appended",
    "HTTP_LATENCY",
    "PIPELINE_LATENCY",
    "SEGMENTS_RECEIVED",
    "STREAM_SUBSCRIBERS",
]

_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

HTTP_LATENCY = Histogram(
    "callpilot_http_request_seconds", "HTTP request latency", ["method", "route", "status"],
    buckets=_FAST_BUCKETS,
)
PIPELINE_LATENCY = Histogram(
    "callpilot_pipeline_seconds", "Time spent in the analyzer pipeline", ["path", "analyzer"],
    buckets=_FAST_BUCKETS,
)
SEGMENTS_RECEIVED = Counter("callpilot_segments_received_total", "Transcript segments accepted")
EVENTS_APPENDED = Counter("callpilot_events_appended_total", "Events appended to the log", ["type"])
STREAM_SUBSCRIBERS = Gauge("callpilot_stream_subscribers", "Open live-stream subscriptions", ["kind"])


def count_appended(events: Sequence[RecordedEvent]) -> None:
    """An event-log listener."""
    for recorded in events:
        EVENTS_APPENDED.labels(recorded.type).inc()
