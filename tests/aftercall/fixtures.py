"""Small calls for the after-call tests, played through the real inline analyzers (PII redaction first)."""

from __future__ import annotations

from pathlib import Path

from callpilot.aftercall.batch import BatchAnalyzer
from callpilot.core.settings import load_settings
from callpilot.domain.call import CallState
from callpilot.replay.transcript import Transcript, TranscriptSegment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "calls"
VAULT_KEY = "q3yCkqTzfgvlmdS2Yr_pm31BMYG0yBVGSuHgNRmzf20="

FIELDS_YAML = """
fields:
  - {name: payment_amount, type: money, description: amount of the payment, required: true}
  - {name: account_type, type: enum, values: [checking, savings], description: which account}
  - {name: payment_date, type: date, description: when the payment goes out}
  - {name: callback_number, type: phone, description: number to call the customer back on}
  - {name: email, type: email, description: the customer's email address}
  - {name: visit_time, type: time, description: time of the technician's visit}
  - {name: autopay, type: boolean, description: whether the customer wants automatic payments}
  - {name: payee, type: string, description: who the payment goes to}
"""


def transcript(*turns: tuple[str, str], call_date: str = "2026-11-18") -> Transcript:
    segments, clock = [], 0.0
    for speaker, text in turns:
        segments.append(TranscriptSegment(speaker=speaker, text=text, start=clock, end=clock + 3.0))  # type: ignore[arg-type]
        clock += 4.0
    return Transcript(call_id="t", metadata={"agent_id": "a1", "call_date": call_date}, segments=segments)


def batch(tmp_path: Path, fields: str = FIELDS_YAML, **overrides: object) -> BatchAnalyzer:
    schema = tmp_path / "fields.yaml"
    schema.write_text(fields)
    settings = load_settings(None, vault_key=VAULT_KEY)
    return BatchAnalyzer.from_settings(settings, fields_file=schema, **overrides)


async def analyze(b: BatchAnalyzer, t: Transcript) -> tuple[CallState, dict]:  # type: ignore[type-arg]
    state, analysis, _ms = await b.analyze(t, call_id=t.call_id or "t")
    return state, analysis
