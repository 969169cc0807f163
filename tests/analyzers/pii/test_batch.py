"""`callpilot redact`: the JSON-lines contract, offsets into the input, bad lines answered, not fatal."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from callpilot.cli import app


def _redact(stdin: bytes, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["redact", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def test_text_lines() -> None:
    text = "sure my card is 4111 1111 1111 1111 thanks"
    (out,) = _redact(orjson.dumps({"text": text}) + b"\n")
    assert out["text"] == "sure my card is [CARD_NUMBER] thanks"
    (entity,) = out["entities"]  # type: ignore[misc]
    assert entity["type"] == "CARD_NUMBER" and text[entity["start"]:entity["end"]] == "4111 1111 1111 1111"


def test_a_call_with_a_number_in_pieces() -> None:
    segments = [
        {"speaker": "agent", "text": "what's the best number to reach you"},
        {"speaker": "customer", "text": "it's five five five"},
        {"speaker": "customer", "text": "one two three four five six seven"},
    ]
    (out,) = _redact(orjson.dumps({"segments": segments}) + b"\n")
    assert [s["text"] for s in out["segments"]] == [  # type: ignore[attr-defined]
        "what's the best number to reach you", "it's [PHONE_NUMBER]", "[PHONE_NUMBER]"]
    assert out["entities"] == [
        {"type": "PHONE_NUMBER", "segment": 1, "start": 5, "end": 19},
        {"type": "PHONE_NUMBER", "segment": 2, "start": 0, "end": 33},
    ]


@pytest.mark.parametrize(("line", "error"), [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "expected an object"),
    (b'{"text": 5}', "expected"),
    (b'{"segments": [{"speaker": "bot", "text": "hi"}]}', "speaker"),
    (b'{"text": "hi", "names": "bob"}', "names"),
])
def test_bad_lines_get_an_error_and_the_batch_goes_on(line: bytes, error: str) -> None:
    bad, good = _redact(line + b"\n" + b'{"text": "ssn 123-45-6789"}\n')
    assert error in str(bad["error"])
    assert good["text"] == "ssn [SSN]"


def test_policy_flag() -> None:
    (out,) = _redact(b'{"text": "card 4111111111111111"}\n', "--policy", "CARD_NUMBER=mask")
    assert out["text"] == "card [CARD_NUMBER ************1111]"
    result = CliRunner().invoke(app, ["redact", "--policy", "CARD_NUMBER"], input=b"")
    assert result.exit_code == 2
