"""The rules benchmark harness: the generated ruleset is valid and the report has a row per call position."""

from __future__ import annotations

from callpilot.bench.rules import generate_ruleset, rules_bench_markdown, run_rules_bench


def test_generated_ruleset_has_every_kind() -> None:
    ruleset = generate_ruleset(200)
    assert len(ruleset.rules) == 200
    kinds = {r.kind for r in ruleset.rules}
    assert kinds == {"prohibited", "required", "ordering"}
    assert sum(bool(r.patterns) for r in ruleset.rules) == 30
    assert sum(r.within is not None for r in ruleset.rules) > 0


def test_bench_reports_each_position() -> None:
    result = run_rules_bench(rules=40, positions=(5, 60), samples=40)
    assert list(result["positions"]) == [5, 60]
    for row in result["positions"].values():
        assert 0 < row["warm"]["p50_ms"] <= row["warm"]["p99_ms"] <= row["warm"]["max_ms"]
    assert result["rules"] == 40
    lines = rules_bench_markdown(result)
    assert lines[0] == "## Rules analyzer: time per segment"
    assert sum(line.startswith(("| 5 |", "| 60 |")) for line in lines) == 2
