"""``check_files``: a ruleset over transcript files, reported as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callpilot.analyzers.rules.check import check_files, format_json, format_text
from callpilot.core.errors import ConfigError, InvalidInput

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "calls"


def _transcript(tmp_path: Path, segments: list[tuple[str, str]], queue: str = "residential-booking") -> Path:
    path = tmp_path / "call.json"
    rows = [{"speaker": s, "text": t, "start": 4.0 * i, "end": 4.0 * i + 3.5} for i, (s, t) in enumerate(segments)]
    path.write_text(json.dumps({"call_id": "t-1", "metadata": {"queue": queue, "agent_id": "a7"}, "segments": rows}))
    return path


def test_check_file_reports_violations_and_checklist(tmp_path: Path) -> None:
    path = _transcript(tmp_path, [
        ("agent", "thanks for calling brightside"),
        ("customer", "can someone come today"),
        ("agent", "yes and i promise they'll be there by noon"),
        ("agent", "have a great day"),
    ], queue="support")
    report = check_files("home_services", [path])
    (file,) = report.files
    assert (file.call_id, file.queue, file.segments) == ("t-1", "support", 4)
    assert [(v.segment_index, v.time, v.speaker, v.rule_id, v.evidence) for v in file.violations] == [
        (2, 8.0, "agent", "no-arrival-guarantee", "i promise they'll be there by")]
    assert [(r.rule_id, r.status, r.segment_index) for r in file.checklist] == [
        ("greeting", "met", 0), ("closing", "met", 3)]
    assert not report.clean

    text = format_text(report)
    assert "#2    00:08  agent    critical no-arrival-guarantee: \"i promise they'll be there by\"" in text
    assert "[x] info     greeting" in text
    assert "1 file(s): 1 violation(s), 0 missed requirement(s)" in text
    assert json.loads(format_json(report))["files"][0]["violations"][0]["rule_id"] == "no-arrival-guarantee"


def test_missed_requirements_show_their_reason(tmp_path: Path) -> None:
    path = _transcript(tmp_path, [("agent", "hello"), ("agent", "what do you need")], queue="support")
    report = check_files("home_services", [path])
    rows = {r.rule_id: (r.status, r.reason) for r in report.files[0].checklist}
    assert rows == {"greeting": ("missed", "not said within the agent's first 2 segment(s)"),
                    "closing": ("missed", "the call ended before it was said")}
    assert "[!] info     greeting" in format_text(report)


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/calls not present")
@pytest.mark.parametrize("ruleset, name, violations, missed", [
    pytest.param("home_services", "home_services_booking", ["no-arrival-guarantee"], [], id="home sample"),
    pytest.param("banking", "bank_card_replacement", [], [], id="bank sample"),
    pytest.param("banking", "billing_dispute_escalation", [],
                 ["recording-disclosure", "identity-verified", "closing-offer-help", "closing-thanks"],
                 id="telecom call against banking rules"),
])
def test_sample_calls(ruleset: str, name: str, violations: list[str], missed: list[str]) -> None:
    (file,) = check_files(ruleset, [EXAMPLES / f"{name}.json"]).files
    assert [v.rule_id for v in file.violations] == violations
    assert [r.rule_id for r in file.missed] == missed


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        check_files("banking", [tmp_path / "nope.json"])
    with pytest.raises(ConfigError, match="unknown ruleset"):
        check_files("insurance", [])
