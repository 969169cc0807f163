from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callpilot.cli import app
from callpilot.replay.transcript import load_transcript

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "calls"


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "replay", "demo", "bench", "db", "analyze"):
        assert command in result.output


def test_serve_refuses_public_bind_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLPILOT_API_KEY", raising=False)
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to bind" in result.output


def test_bad_config_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline:\n  inline: [nope]\n  bogus: 1\n")
    result = runner.invoke(app, ["db", "upgrade", "--config", str(bad), "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2 and "invalid settings" in result.output


def test_db_upgrade_and_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    missing = runner.invoke(app, ["db", "events", "nope", "--db", url])
    assert missing.exit_code == 1 and "no events" in missing.output


def test_replay_rejects_a_bad_transcript_before_sending(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"segments": [{"speaker": "bot", "text": "x", "start": 0, "end": 1}]}))
    result = runner.invoke(app, ["replay", str(bad), "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "segments.0.speaker" in result.output


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_sample_calls_are_valid_transcripts(path: Path) -> None:
    transcript = load_transcript(path)
    assert 120 <= transcript.duration <= 360
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)


def test_there_are_four_sample_calls() -> None:
    assert {p.stem for p in EXAMPLES.glob("*.json")} >= {
        "home_services_booking", "bank_card_replacement", "billing_dispute_escalation", "tech_support_error_code"}
