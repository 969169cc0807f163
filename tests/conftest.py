"""Shared fixtures. PostgreSQL tests run when CALLPILOT_TEST_POSTGRES_URL is set, and fail (not skip) when
that server cannot be reached: CI sets the URL, so an unreachable server there is a failure."""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

POSTGRES_URL = os.environ.get("CALLPILOT_TEST_POSTGRES_URL")


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = ["PostgreSQL tests: on (CALLPILOT_TEST_POSTGRES_URL is set)" if POSTGRES_URL else
             "PostgreSQL tests: SKIPPED - set CALLPILOT_TEST_POSTGRES_URL to run them"]
    if os.environ.get("CALLPILOT_TEST_PGVECTOR_URL"):
        lines.append("pgvector tests: on CALLPILOT_TEST_PGVECTOR_URL")
    elif importlib.util.find_spec("pgserver") is not None:
        lines.append("pgvector tests: on a throw-away PostgreSQL with pgvector (pgserver)")
    else:
        lines.append("pgvector tests: SKIPPED - set CALLPILOT_TEST_PGVECTOR_URL or install the dev extra (pgserver)")
    return lines


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'callpilot.db'}"


@pytest.fixture
async def pg_schema() -> AsyncIterator[tuple[str, str]]:
    """(url, schema): a fresh, empty schema on the test server, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need CALLPILOT_TEST_POSTGRES_URL")
    try:
        conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"CALLPILOT_TEST_POSTGRES_URL is set but the server is unreachable: {exc}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield POSTGRES_URL, schema
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
