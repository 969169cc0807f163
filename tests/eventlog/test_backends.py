"""The EventLog contract, run against every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from callpilot.core.errors import ConfigError, StorageUnavailable
from callpilot.eventlog.base import EventLog
from callpilot.eventlog.factory import open_event_log
from callpilot.eventlog.postgres import PostgresEventLog
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.testing.eventlog_contract import EventLogContract


class TestSqliteEventLog(EventLogContract):
    @pytest.fixture(autouse=True)
    def _path(self, tmp_path: Path) -> None:
        self.path = tmp_path / "events.db"

    async def make_log(self) -> EventLog:
        log = SqliteEventLog(self.path)
        await log.start()
        return log

    make_second_log = make_log


class TestPostgresEventLog(EventLogContract):
    @pytest.fixture(autouse=True)
    def _schema(self, pg_schema: tuple[str, str]) -> None:
        self.url, self.schema = pg_schema

    async def make_log(self) -> EventLog:
        log = PostgresEventLog(self.url, search_path=self.schema, pool_size=4)
        await log.start()
        return log

    make_second_log = make_log


@pytest.mark.parametrize("url, backend", [
    ("sqlite:///./x.db", SqliteEventLog),
    ("sqlite:////tmp/x.db", SqliteEventLog),
    ("postgresql://u@h/db", PostgresEventLog),
    ("postgres://u@h/db", PostgresEventLog),
    ("postgresql+asyncpg://u@h/db", PostgresEventLog),
])
def test_factory_picks_backend(url: str, backend: type) -> None:
    assert isinstance(open_event_log(url), backend)


@pytest.mark.parametrize("url, message", [
    ("mysql://u@h/db", "unsupported backend"),
    ("not a url", "not a valid URL"),
    ("sqlite:///:memory:", "in-memory"),
])
def test_factory_rejects_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_event_log(url)


async def test_unreachable_postgres_is_storage_unavailable() -> None:
    log = PostgresEventLog("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageUnavailable):
        await log.start()
    await log.close()
