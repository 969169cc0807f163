"""The rules analyzer in the real inline pipeline: events stored in SQLite, state rebuilt from the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from callpilot.analyzers.registry import ANALYZERS
from callpilot.analyzers.rules import RulesAnalyzer
from callpilot.core.errors import ConfigError
from callpilot.core.settings import load_settings
from callpilot.domain.call import fold
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.runtime import open_runtime
from callpilot.service.calls import NewCall, NewSegment


def _segment(i: int, speaker: str, text: str) -> NewSegment:
    return NewSegment(speaker=speaker, text=text, start_time=5.0 * i, end_time=5.0 * i + 4, segment_id=f"s{i}")


async def test_live_violations_and_checklist_survive_a_rebuild(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(ANALYZERS, RulesAnalyzer.name, RulesAnalyzer)
    settings = load_settings(None, pipeline={"inline": ["rules", "talk_stats"]},
                             analyzers={"rules": {"ruleset": "home_services"}})
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "rules.db"))
    try:
        await rt.calls.start_call(NewCall(call_id="c", agent_id="a", queue="support"), trace_id=None)
        first = await rt.calls.add_segment("c", _segment(0, "agent", "thanks for calling brightside"), trace_id=None)
        assert [e.type for e in first.produced] == ["ChecklistStarted", "RequirementMet", "TalkStatsUpdated"]
        bad = await rt.calls.add_segment("c", _segment(1, "agent", "i guarantee they'll be there by noon"),
                                         trace_id=None)
        assert [e.type for e in bad.produced] == ["RuleViolated", "TalkStatsUpdated"]
        await rt.calls.end_call("c", "completed", trace_id=None)
        live = await rt.calls.get_call("c")
        rebuilt = fold("c", await rt.log.read_call("c"))
    finally:
        await rt.close()
    assert rebuilt.analyzers["rules"] == live.analyzers["rules"]
    checklist = rebuilt.analyzers["rules"]["checklist"]
    assert {k: v["status"] for k, v in checklist.items()} == {"greeting": "met", "closing": "missed"}
    assert rebuilt.analyzers["rules"]["violations"][0]["evidence"] == "i guarantee they'll be there by"


async def test_bad_ruleset_fails_at_start_up(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(ANALYZERS, RulesAnalyzer.name, RulesAnalyzer)
    settings = load_settings(None, pipeline={"inline": ["rules"]}, analyzers={"rules": {"ruleset": "nope"}})
    with pytest.raises(ConfigError, match="unknown ruleset 'nope'"):
        await open_runtime(settings, log=SqliteEventLog(tmp_path / "x.db"))
