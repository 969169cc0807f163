"""Database URL -> event log backend."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from callpilot.core.errors import ConfigError
from callpilot.core.settings import Settings
from callpilot.eventlog.base import EventLog

__all__ = ["describe_url", "open_event_log"]


def open_event_log(url: str, settings: Settings | None = None) -> EventLog:
    """An unstarted event log for ``url``: ``sqlite:///path`` or ``postgresql://user@host/db``."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not a valid URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        from callpilot.eventlog.sqlite import SqliteEventLog

        synchronous = settings.sqlite_synchronous if settings else "FULL"
        return SqliteEventLog(parsed.database or "", synchronous=synchronous)
    if backend in ("postgresql", "postgres"):
        from callpilot.eventlog.postgres import PostgresEventLog

        return PostgresEventLog(url)
    raise ConfigError(f"database URL {describe_url(url)!r}: unsupported backend {backend!r} "
                      "(use sqlite:///path or postgresql://user@host/db)")


def describe_url(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid url>"
