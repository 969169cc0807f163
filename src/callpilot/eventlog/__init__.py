"""The append-only event log: one interface, SQLite and PostgreSQL backends."""

from callpilot.eventlog.base import AppendResult, EventLog
from callpilot.eventlog.factory import open_event_log

__all__ = ["AppendResult", "EventLog", "open_event_log"]
