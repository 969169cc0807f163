"""docs/aftercall.schema.json is the result's JSON schema; regenerate it when the model changes:
``python -c "import json; from callpilot.domain.analysis import CallAnalysis;
print(json.dumps(CallAnalysis.model_json_schema(), indent=2))" > docs/aftercall.schema.json``"""

from __future__ import annotations

import json
from pathlib import Path

from callpilot.domain.analysis import SCHEMA_VERSION, CallAnalysis

DOC = Path(__file__).resolve().parents[2] / "docs" / "aftercall.schema.json"


def test_the_documented_schema_is_the_code() -> None:
    assert json.loads(DOC.read_text()) == CallAnalysis.model_json_schema()
    assert CallAnalysis.model_json_schema()["properties"]["schema_version"]["default"] == SCHEMA_VERSION
