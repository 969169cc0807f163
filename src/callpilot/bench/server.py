"""A callpilot server in its own process, as the benchmarks measure it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx

from callpilot.core.errors import CallpilotError

__all__ = ["BENCH_KEY", "fresh_postgres_database", "server_process", "wait_until_ready"]

BENCH_KEY = "bench-" + uuid.uuid4().hex


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until_ready(url: str, exit_code: Callable[[], int | None], *, what: str = "server",
                           seconds: float = 20.0) -> None:
    """Poll ``/readyz`` until it answers 200; fail early if the process has exited (``exit_code``)."""
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(int(seconds / 0.05)):
            if (code := exit_code()) is not None:
                raise CallpilotError(f"{what} exited with {code}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise CallpilotError(f"{what} did not become ready in {seconds:.0f} s")


@asynccontextmanager
async def server_process(db_url: str, log_file: Path, *, env_extra: dict[str, str] | None = None
                         ) -> AsyncIterator[str]:
    """Start ``callpilot serve`` on a free port (``env_extra``: settings as environment variables); yield its
    base URL once it is ready."""
    port = _free_port()
    env = {**os.environ, "CALLPILOT_API_KEY": BENCH_KEY, "CALLPILOT_LOG_LEVEL": "warning", **(env_extra or {})}
    with log_file.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "callpilot", "serve", "--port", str(port), "--db", db_url,
            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_ready(url, lambda: proc.returncode, what=f"benchmark server (log: {log_file})")
        yield url
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@asynccontextmanager
async def fresh_postgres_database(server_url: str) -> AsyncIterator[tuple[str, str]]:
    """A new, empty database on that server for one run, dropped afterwards; yields (url, server version)."""
    plain = server_url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        admin = await asyncpg.connect(plain, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CallpilotError(f"cannot reach the benchmark PostgreSQL server: {exc}") from exc
    name = f"callpilot_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    version = str(await admin.fetchval("SHOW server_version"))
    try:
        yield plain.rsplit("/", 1)[0] + f"/{name}", version
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
