"""``callpilot analyze``: JSON lines in input order, stdin, bad input and bad configuration."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import callpilot.embeddings.minilm as minilm
from callpilot.aftercall.batch import BatchAnalyzer, items_from_files
from callpilot.cli import app
from callpilot.core.settings import load_settings
from tests.aftercall.fixtures import EXAMPLES, FIELDS_YAML

runner = CliRunner()


def _lines(output: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_files_in_input_order_with_fields_keyed_by_name(tmp_path: Path) -> None:
    schema = tmp_path / "fields.yaml"
    schema.write_text(FIELDS_YAML)
    bad = tmp_path / "bad.json"
    bad.write_text('{"segments": [{"speaker": "robot", "text": "x", "start": 0, "end": 1}]}')
    files = [EXAMPLES / "home_services_booking.json", bad, EXAMPLES / "bank_card_replacement.json"]
    result = runner.invoke(app, ["analyze", *map(str, files), "--fields", str(schema)])
    assert result.exit_code == 1  # one input failed, the others were analyzed
    lines = _lines(result.stdout)
    assert [line["input"] for line in lines] == [str(f) for f in files]
    assert "error" in lines[1] and "speaker" in lines[1]["error"]["message"]
    assert lines[0]["call_id"] == "sample-home-booking" and lines[0]["disposition"]["value"] == "Booked"
    assert set(lines[2]["fields"]) == {"payment_amount", "account_type", "payment_date", "callback_number", "email",
                                       "visit_time", "autopay", "payee"}


def test_stdin_json_lines(tmp_path: Path) -> None:
    call = json.loads((EXAMPLES / "tech_support_error_code.json").read_text())
    stdin = json.dumps(call) + "\nnot json\n" + json.dumps({"call_id": "two", "segments": []}) + "\n"
    result = runner.invoke(app, ["analyze", "-"], input=stdin)
    lines = _lines(result.stdout)
    assert [line["input"] for line in lines] == ["stdin:1", "stdin:2", "stdin:3"]
    assert lines[0]["intent"]["name"] == "technical_error"
    assert "not JSON" in lines[1]["error"]["message"]
    assert lines[2]["needs_review"] and lines[2]["fields"] == {}
    assert result.exit_code == 1


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    schema = tmp_path / "fields.yaml"
    schema.write_text("fields:\n  - {name: amount, type: currency}\n")
    result = runner.invoke(app, ["analyze", str(EXAMPLES / "home_services_booking.json"), "--fields", str(schema)])
    assert result.exit_code == 2 and "unknown type 'currency'" in result.output
    result = runner.invoke(app, ["analyze", str(EXAMPLES / "home_services_booking.json"), "--engine", "gpt"])
    assert result.exit_code == 2 and "choose local or llm" in result.output
    result = runner.invoke(app, ["analyze", str(EXAMPLES / "home_services_booking.json"), "--engine", "llm"])
    assert result.exit_code == 2 and "needs an llm section" in result.output


def test_a_batch_loads_the_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real, loads = minilm.load_minilm, []

    def counting(*args: Any, **kwargs: Any) -> Any:
        loads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(minilm, "load_minilm", counting)
    batch = BatchAnalyzer.from_settings(load_settings(None))
    files = [str(p) for p in sorted(EXAMPLES.glob("*.json"))] * 3
    out = io.StringIO()
    summary = asyncio.run(batch.run(items_from_files(files, io.StringIO()), out))
    assert summary.analyzed == len(files) and summary.failed == 0
    assert len(out.getvalue().splitlines()) == len(files)
    assert len(loads) == 1  # the intent model, once for the whole batch
