"""Live streams: every event of a call (or of all calls) to its subscribers, in order, resumable."""

from callpilot.streams.follow import follow
from callpilot.streams.hub import EventHub, SlowConsumer, Subscription

__all__ = ["EventHub", "SlowConsumer", "Subscription", "follow"]
