"""PII redaction in the live pipeline: nothing raw reaches the log or the streams; pieces are corrected;
vaulted values come back only through an audited reveal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from callpilot.api.app import create_app
from callpilot.core.settings import load_settings
from callpilot.eventlog.sqlite import SqliteEventLog
from callpilot.runtime import Runtime, open_runtime

KEY = "k-123"
RAW = ["4111", "555", "1234567", "gonzalez", "maria", "john dot smith", "john.smith", "1985"]


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = load_settings(None, api_key=KEY, vault_key=Fernet.generate_key().decode())
    rt = await open_runtime(settings, log=SqliteEventLog(tmp_path / "pii.db"))
    yield rt
    await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime.settings, runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers={"X-API-Key": KEY}) as c:
        yield c


# random strings that may hold any digits: vault tokens (encrypted) and generated ids (hex: "555" is in one
# 32-digit hex id in about 120)
_OPAQUE = {"vault_ref", "digits_sealed"}
_OPAQUE_SUFFIXES = ("_sealed", "_id", "_ids")


def _strings(value: object) -> str:
    """Every string in an event's data, except the opaque ones."""
    if isinstance(value, dict):
        return " ".join(_strings(v) for k, v in value.items()
                        if k not in _OPAQUE and not str(k).endswith(_OPAQUE_SUFFIXES))
    if isinstance(value, list):
        return " ".join(_strings(v) for v in value)
    return value if isinstance(value, str) else ""


async def _say(client: httpx.AsyncClient, speaker: str, text: str, t: float) -> httpx.Response:
    return await client.post("/v1/calls/c1/segments",
                             json={"speaker": speaker, "text": text, "start_time": t, "end_time": t + 2})


async def test_nothing_raw_is_stored_and_pieces_are_corrected(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await client.post("/v1/calls", json={"call_id": "c1", "agent_id": "a1", "customer_name": "Maria Gonzalez",
                                         "crm_metadata": {"contact": {"email": "john.smith@gmail.com"},
                                                          "full_name": "Maria Gonzalez", "tier": "gold"}})
    await _say(client, "customer", "hi this is maria gonzalez my email is john dot smith at gmail dot com", 0)
    await _say(client, "customer", "okay it's four one one one one one one one", 3)
    await _say(client, "agent", "mhm", 6)
    answer = await _say(client, "customer", "one one one one one one one one", 8)
    assert answer.status_code == 201
    assert answer.json()["segment"]["data"]["text"] == "[CARD_NUMBER]"
    await _say(client, "customer", "call me on five five five one two three four five six seven", 11)
    await _say(client, "customer", "i was born march fourteenth nineteen eighty five", 14)

    events = await runtime.log.read_call("c1")
    stored = " ".join(_strings(e.event.model_dump()) for e in events).lower()
    for raw in RAW:
        where = [e.type for e in events if raw in _strings(e.event.model_dump()).lower()]
        assert raw not in stored, where
    types = [e.type for e in events]
    assert "SegmentRedactionAmended" in types
    state = (await client.get("/v1/calls/c1")).json()
    texts = [s["text"] for s in state["segments"]]
    assert texts[1] == "okay it's [CARD_NUMBER]"  # the provisional [NUMBER] was corrected
    assert texts[0] == "hi this is [PERSON] my email is [EMAIL]"
    assert texts[4] == "call me on [PHONE_NUMBER]"
    assert state["analyzers"]["pii"]["counts"]["CARD_NUMBER"] == 1
    assert state["customer_name"] is None and state["customer_name_sealed"]
    assert state["crm_metadata"] == {"contact": {"email": "[EMAIL]"}, "full_name": "[PERSON]", "tier": "gold"}


async def test_reveal_is_audited(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await client.post("/v1/calls", json={"call_id": "c1", "agent_id": "a1"})
    created = await client.post("/v1/calls/c1/segments", json={
        "speaker": "customer", "text": "my cell is 555-123-4567", "start_time": 0, "end_time": 2,
        "segment_id": "s1"})
    assert created.json()["segment"]["data"]["text"] == "my cell is [PHONE_NUMBER]"
    revealed = await client.post("/v1/calls/c1/pii/reveal",
                                 json={"segment_id": "s1", "entity_index": 0, "purpose": "crm callback field",
                                       "actor": "crm-sync"})
    assert revealed.status_code == 200
    assert revealed.json() == {"type": "PHONE_NUMBER", "value": "555-123-4567"}
    audit = [e for e in await runtime.log.read_call("c1") if e.type == "PiiRevealed"]
    assert len(audit) == 1 and audit[0].event.purpose == "crm callback field"  # type: ignore[attr-defined]

    missing = await client.post("/v1/calls/c1/pii/reveal",
                                json={"segment_id": "nope", "entity_index": 0, "purpose": "crm field"})
    assert missing.status_code == 422
    unknown_call = await client.post("/v1/calls/zz/pii/reveal",
                                     json={"segment_id": "s1", "entity_index": 0, "purpose": "crm field"})
    assert unknown_call.status_code == 404


@pytest.mark.parametrize(("inline", "message"), [
    (["talk_stats", "pii"], "must come first"),
])
def test_pii_must_be_first(inline: list[str], message: str) -> None:
    from callpilot.analyzers.registry import build_analyzers
    from callpilot.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_analyzers(inline, {})
    with pytest.raises(ConfigError, match=message):
        build_analyzers(["pii"], {}, inline=False)


def test_bad_vault_key_fails_at_start() -> None:
    from callpilot.analyzers.pii.analyzer import PiiAnalyzer
    from callpilot.core.errors import ConfigError

    with pytest.raises(ConfigError, match="Fernet key"):
        PiiAnalyzer(vault_key="not-a-key")
