"""Fixtures for the assist tests: the real encoder, and a PostgreSQL with pgvector.

pgvector tests use ``CALLPILOT_TEST_PGVECTOR_URL`` when it is set (failing if it is unreachable), else start a
throw-away server with ``pgserver`` (a dev dependency that ships PostgreSQL with pgvector), else skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from callpilot.assist.kb.store import create_sync_engine
from callpilot.embeddings.minilm import MiniLMEncoder, load_minilm

PGVECTOR_URL = os.environ.get("CALLPILOT_TEST_PGVECTOR_URL")


@pytest.fixture(scope="session")
def minilm() -> MiniLMEncoder:
    return load_minilm(max_tokens=128)


@pytest.fixture(scope="session")
def pgvector_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PGVECTOR_URL:
        url = PGVECTOR_URL
    else:
        try:
            import pgserver
        except ImportError:
            pytest.skip("pgvector tests need CALLPILOT_TEST_PGVECTOR_URL or the pgserver package (dev extra)")
        server = pgserver.get_server(Path(tmp_path_factory.mktemp("pgvector")), cleanup_mode="stop")
        url = server.get_uri()
    engine = create_sync_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"the pgvector test server is unreachable: {exc}")
    finally:
        engine.dispose()
    yield url


@pytest.fixture
def pgvector_schema(pgvector_server: str) -> Iterator[tuple[str, str]]:
    """(url, search_path): a fresh schema on the pgvector server (the extension's type stays in public)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_sync_engine(pgvector_server)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pgvector_server, f"{schema},public"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
