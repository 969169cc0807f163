"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["describe_machine"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def describe_machine() -> dict[str, Any]:
    versions = {}
    for package in ("callpilot", "fastapi", "uvicorn", "sqlalchemy", "asyncpg", "pydantic", "websockets"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "versions": versions,
    }
