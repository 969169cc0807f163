"""Loading rulesets: good ones load, and every bad rule fails with a message that names it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from callpilot.analyzers.rules import RulesAnalyzer, load_ruleset, load_rulesets, shipped_rulesets
from callpilot.core.errors import ConfigError

GOOD = {"id": "r1", "kind": "prohibited", "description": "d", "severity": "warning", "message": "m",
        "phrases": ["promise"]}
REQUIRED = {"id": "req", "kind": "required", "description": "d", "severity": "critical", "message": "m",
            "phrases": ["this call may be recorded"]}


def _write(tmp_path: Path, rules: list[dict[str, object]], **top: object) -> Path:
    path = tmp_path / "rs.yaml"
    path.write_text(yaml.safe_dump({"name": "t", **top, "rules": rules}))
    return path


def test_shipped_rulesets_load() -> None:
    assert {"banking", "home_services"} <= set(shipped_rulesets())
    for name in shipped_rulesets():
        ruleset = load_ruleset(name)
        assert ruleset.name == name
        assert len(ruleset.rules) >= 8


@pytest.mark.parametrize("rules, fragment", [
    pytest.param([GOOD | {"patterns": ["(guarantee"]}], "rule 'r1': patterns: pattern '(guarantee' is not a valid "
                 "RE2 regex: missing )", id="bad regex"),
    pytest.param([GOOD | {"patterns": [r"(\w+) \1"]}], "rule 'r1': patterns", id="backreference (needs backtracking)"),
    pytest.param([GOOD | {"patterns": [r"(?=x)y"]}], "rule 'r1': patterns", id="lookahead (needs backtracking)"),
    pytest.param([GOOD, GOOD | {"phrases": ["other"]}], "rule id(s) used more than once: r1", id="duplicate id"),
    pytest.param([GOOD | {"speaker": "supervisor"}], "rule 'r1': speaker: Input should be 'agent', 'customer' or "
                 "'any'", id="unknown speaker"),
    pytest.param([GOOD | {"severity": "fatal"}], "rule 'r1': severity", id="unknown severity"),
    pytest.param([GOOD | {"phrases": [], "patterns": []}], "rule 'r1': a rule needs phrases or patterns",
                 id="nothing to match"),
    pytest.param([GOOD | {"phrases": ["   ,,, "]}], "rule 'r1': phrases: phrase '   ,,, ' has no words",
                 id="empty phrase"),
    pytest.param([GOOD | {"within": {"agent_seconds": 30}}], "rule 'r1': 'within' applies to required rules only",
                 id="window on a prohibited rule"),
    pytest.param([REQUIRED | {"within": {"agent_seconds": 30, "agent_segments": 2}}],
                 "rule 'req': within: give exactly one", id="two window limits"),
    pytest.param([REQUIRED | {"within": {"agent_seconds": -1}}], "rule 'req': within.agent_seconds",
                 id="negative window"),
    pytest.param([GOOD | {"kind": "ordering"}], "rule 'r1': 'requires' is needed by ordering rules",
                 id="ordering without requires"),
    pytest.param([REQUIRED, GOOD | {"kind": "ordering", "requires": ["nope"]}],
                 "rule 'r1': 'requires' names no required rule: nope", id="ordering on unknown rule"),
    pytest.param([GOOD | {"kind": "ordering", "requires": ["r1"]}], "'requires' names no required rule: r1",
                 id="ordering on a non-required rule"),
    pytest.param([GOOD | {"typo_field": 1}], "rule 'r1': typo_field: Extra inputs are not permitted",
                 id="unknown field"),
    pytest.param([GOOD | {"id": "Bad Id"}], "rule 'Bad Id': id", id="bad id"),
    pytest.param([{k: v for k, v in GOOD.items() if k != "id"}], "rule #1: id: Field required", id="missing id"),
    pytest.param([GOOD | {"threshold": 20}], "rule 'r1': threshold", id="threshold too low"),
])
def test_bad_rule_is_named(tmp_path: Path, rules: list[dict[str, object]], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_ruleset(_write(tmp_path, rules))
    assert fragment in str(info.value)
    assert str(tmp_path / "rs.yaml") in str(info.value)


@pytest.mark.parametrize("content, fragment", [
    pytest.param("name: t\nrules: [", "not valid YAML", id="yaml syntax"),
    pytest.param("name: t\nrules: []\n", "non-empty 'rules' list", id="no rules"),
    pytest.param("- a\n- b\n", "expected a mapping", id="not a mapping"),
    pytest.param("name: t\nrules: [hello]\n", "rule #1: expected a mapping, got str", id="rule not a mapping"),
])
def test_bad_file(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "rs.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=fragment):
        load_ruleset(path)


def test_unknown_name_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown ruleset 'insurance'.*banking"):
        load_ruleset("insurance")
    with pytest.raises(ConfigError, match="No such file"):
        load_ruleset(tmp_path / "missing.yaml")


def test_merged_rulesets_need_unique_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD | {"id": "closing"}])
    with pytest.raises(ConfigError, match="used more than once: closing"):
        load_rulesets(["home_services", path])
    merged = load_rulesets(["banking", "home_services"])
    assert merged.name == "banking+home_services"
    assert len(merged.rules) == len(load_ruleset("banking").rules) + len(load_ruleset("home_services").rules)


def test_merged_rulesets_keep_each_default_threshold(tmp_path: Path) -> None:
    path = _write(tmp_path, [GOOD], threshold=95)
    merged = load_rulesets(["banking", path])
    assert merged.threshold_of(next(r for r in merged.rules if r.id == "r1")) == 95


@pytest.mark.parametrize("options, fragment", [
    pytest.param({"by_queue": {}}, "give a ruleset", id="none"),
    pytest.param({"ruleset": "banking", "rulesets": ["home_services"]}, "not both", id="both"),
    pytest.param({"by_queue": {"card-*": "nope"}}, "unknown ruleset 'nope'", id="unknown-by-queue"),
    pytest.param({"ruleset": "nope"}, "unknown ruleset 'nope'", id="unknown"),
])
def test_analyzer_options_fail_at_construction(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        RulesAnalyzer(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("queue", "expected"), [
    ("card-services", "banking"),
    ("Residential-Booking", "home_services"),
    ("billing", "banking"),  # the default
])
def test_the_queue_chooses_the_ruleset(queue: str, expected: str) -> None:
    from callpilot.analyzers.rules import RulesAnalyzer

    analyzer = RulesAnalyzer(ruleset="banking", by_queue={"card-*": "banking", "*booking*": "home_services"})
    engine = analyzer.engine_for(queue)
    assert engine is not None and engine.ruleset.name == expected


def test_no_ruleset_for_a_queue_means_no_rules_events() -> None:
    from callpilot.analyzers.rules import RulesAnalyzer

    analyzer = RulesAnalyzer(by_queue={"card-*": "banking"})
    assert analyzer.engine_for("billing") is None


def test_without_options_the_shipped_rulesets_go_by_queue_name() -> None:
    from callpilot.analyzers.rules import RulesAnalyzer

    analyzer = RulesAnalyzer()
    chosen = {q: (e.ruleset.name if (e := analyzer.engine_for(q)) else None)
              for q in ("card-services", "residential-booking", "billing")}
    assert chosen == {"card-services": "banking", "residential-booking": "home_services", "billing": None}
