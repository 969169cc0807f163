"""The CI services answer: when their URLs are set, an unreachable server is a failure, not a skip."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

import asyncpg
import pytest

REDIS_URL = os.environ.get("CALLPILOT_TEST_REDIS_URL")
POSTGRES_URL = os.environ.get("CALLPILOT_TEST_POSTGRES_URL")


async def test_postgres_answers() -> None:
    if not POSTGRES_URL:
        pytest.skip("set CALLPILOT_TEST_POSTGRES_URL to run PostgreSQL tests")
    conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_redis_answers() -> None:
    if not REDIS_URL:
        pytest.skip("set CALLPILOT_TEST_REDIS_URL to run Redis tests")
    # No Redis client is a dependency yet (the Redis Streams bus brings redis-py); a RESP PING is enough here.
    url = urlsplit(REDIS_URL)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port or 6379), 5)
    writer.write(b"PING\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.readline(), 5) == b"+PONG\r\n"
    writer.close()
    await writer.wait_closed()
