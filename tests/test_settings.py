from __future__ import annotations

from pathlib import Path

import pytest

from callpilot.core.errors import ConfigError
from callpilot.core.settings import DEFAULT_DATABASE_URL, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("CALLPILOT_DATABASE_URL", "CALLPILOT_CONFIG", "CALLPILOT_API_KEY", "CALLPILOT_PIPELINE__INLINE"):
        monkeypatch.delenv(key, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.api_key is None and settings.pipeline.inline == [
        "pii", "rules", "sentiment", "signals", "talk_stats"] and settings.pipeline.background == [
        "context", "assist", "aftercall", "callback"]


def test_flags_beat_environment_beat_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "callpilot.yaml"
    config.write_text("database_url: sqlite:///from-file.db\nport: 9000\n"
                      "pipeline:\n  inline: []\n  background_workers: 7\n")
    monkeypatch.setenv("CALLPILOT_PORT", "9100")
    monkeypatch.setenv("CALLPILOT_PIPELINE__INLINE", '["talk_stats"]')
    settings = load_settings(config, database_url="sqlite:///from-flag.db")
    assert settings.database_url == "sqlite:///from-flag.db"
    assert settings.port == 9100
    # the environment overrides one key of the file's section, not the whole section
    assert settings.pipeline.inline == ["talk_stats"] and settings.pipeline.background_workers == 7


@pytest.mark.parametrize("content, message", [
    ("port: [1, 2]", "port"),
    ("pipeline:\n  inline: talk_stats\n  workers: 3\n", "pipeline.workers"),
    ("no_such_setting: 1", "no_such_setting"),
    ("- a list", "mapping"),
    ("port: : :", "not valid YAML"),
])
def test_bad_settings_files_fail_loudly(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_the_example_settings_file_loads() -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "callpilot.yaml"
    settings = load_settings(example)
    assert settings.pipeline.inline == ["pii", "rules", "sentiment", "signals", "talk_stats"]
    assert settings.analyzers["talk_stats"]["min_silence"] == 2.0
    # every option in it is one the analyzers take
    from callpilot.analyzers.registry import build_analyzers
    from callpilot.runtime import analyzer_options

    built = build_analyzers([*settings.pipeline.inline, *settings.pipeline.background], analyzer_options(settings))
    assert [a.name for a in built] == ["pii", "rules", "sentiment", "signals", "talk_stats", "context",
                                        "assist", "aftercall", "callback"]
