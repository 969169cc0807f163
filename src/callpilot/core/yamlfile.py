"""Reading a YAML configuration file (settings, taxonomies, lexicons, cue lists) with one error translation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from callpilot.core.errors import ConfigError

__all__ = ["read_yaml"]


def read_yaml(path: Path, what: str) -> Any:
    """The file's data (None when it is empty); a missing, unreadable or invalid file is a ConfigError that
    names ``what`` (e.g. "settings file") and the path."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"cannot read {what} {path}: it does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path} is not valid YAML: {exc}") from exc
