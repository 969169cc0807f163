"""``callpilot kb``: ingest, list, search and search --batch, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from callpilot.cli import app
from tests.assist.fixtures import write_kb

runner = CliRunner()


def test_ingest_list_and_search(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    files = write_kb(tmp_path / "kb")
    (files / "broken.pdf").write_bytes(b"%PDF-1.4 junk")
    first = runner.invoke(app, ["kb", "ingest", str(files), "--kb", "support", "--db", db])
    assert first.exit_code == 1  # one file failed; the others are in
    assert "added     " in first.output and "failed    " in first.output and "not a readable PDF" in first.output
    assert "5 added, 1 failed" in first.output
    (files / "broken.pdf").unlink()
    again = runner.invoke(app, ["kb", "ingest", str(files), "--kb", "support", "--db", db, "--json"])
    assert again.exit_code == 0
    statuses = [json.loads(line)["status"] for line in again.stdout.splitlines() if line.startswith("{")]
    assert statuses == ["unchanged"] * 5
    listing = runner.invoke(app, ["kb", "list", "--db", db])
    assert listing.exit_code == 0 and listing.stdout.startswith("support\t6 documents")
    found = runner.invoke(app, ["kb", "search", "I forgot my password", "--kb", "support", "--k", "2", "--db", db])
    assert found.exit_code == 0
    results = json.loads(found.stdout)["results"]
    assert [r["id"] for r in results][0] == "faq-1" and len(results) == 2
    assert set(results[0]) >= {"id", "title", "score", "source", "snippet", "highlight"}


def test_search_batch_writes_one_line_per_query(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    runner.invoke(app, ["kb", "ingest", str(write_kb(tmp_path / "kb")), "--db", db])
    lines = ['{"query": "refund timing"}', "not json", '{"q": "x"}', "", '{"query": "E1042 after sign-in"}']
    result = runner.invoke(app, ["kb", "search", "--batch", "--k", "3", "--db", db], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["results"][0]["id"] == "faq-2" and "error" in out[1] and "error" in out[2]
    assert out[3]["results"][0]["id"] == "KB-1042"
    assert all(len({r["id"] for r in o["results"]}) == len(o["results"]) for o in (out[0], out[3]))


def test_usage_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    assert runner.invoke(app, ["kb", "search", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["kb", "search", "q", "--batch", "--db", db]).exit_code == 2
    assert runner.invoke(app, ["kb", "search", "q", "--mode", "fuzzy", "--db", db]).exit_code == 2
    missing = runner.invoke(app, ["kb", "search", "q", "--kb", "nope", "--db", db])
    assert missing.exit_code == 1 and "no knowledge base 'nope'" in missing.output
    bad = runner.invoke(app, ["kb", "ingest", str(tmp_path), "--kb", "Bad Name", "--db", db])
    assert bad.exit_code == 1 and "knowledge-base name" in bad.output
