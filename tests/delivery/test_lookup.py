"""The customer lookup at call start, through a real log: each CRM asked once, the answer recorded for the
agent's screen with the name sealed, a failing CRM recorded as such beside the others' answers."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import ErrorCategory
from callpilot.delivery.crm.base import Callback, CrmConnector, CustomerRecord, WrapUp
from callpilot.delivery.crm.lookup import CustomerLookup
from callpilot.delivery.errors import DeliveryFailed
from callpilot.domain.call import CallState
from callpilot.domain.events import AnalyzerFailed, CallStarted
from callpilot.domain.events.customer import CustomerIdentified
from callpilot.eventlog.sqlite import SqliteEventLog
from tests.aftercall.fixtures import VAULT_KEY

VAULT = Vault(VAULT_KEY)


class Directory(CrmConnector):
    """A CRM in memory: phone -> record, or an error to raise, after ``delay`` seconds."""

    def __init__(self, name: str, records: dict[str, CustomerRecord] | None = None,
                 error: DeliveryFailed | None = None, gate: threading.Event | None = None) -> None:
        self.name = name  # type: ignore[misc]
        self.records, self.error, self.gate = records or {}, error, gate
        self.asked: list[str] = []

    def find_customer(self, phone: str) -> tuple[CustomerRecord | None, int]:
        self.asked.append(phone)
        if self.gate is not None:
            self.gate.wait(10)
        if self.error is not None:
            raise self.error
        record = self.records.get(phone)
        return record, int(record is not None)

    def record_call(self, wrapup: WrapUp) -> str:
        raise NotImplementedError

    def schedule_callback(self, callback: Callback) -> str:
        raise NotImplementedError


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[SqliteEventLog]:
    log = SqliteEventLog(str(tmp_path / "lookup.db"))
    await log.start()
    yield log
    await log.close()


async def _start(log: SqliteEventLog, lookup: CustomerLookup, phone: str | None) -> CallState:
    log.add_listener(lookup.on_appended)
    await log.append("c-1", [CallStarted(agent_id="a1", customer_phone_masked="****0142",
                                         customer_phone_sealed=VAULT.seal(phone) if phone else None)],
                     expected_seq=0)
    await lookup.settle()
    state = CallState(call_id="c-1")
    for recorded in await log.read_call("c-1"):
        state.record(recorded.event)
    return state


async def test_the_caller_is_found_in_each_crm(log: SqliteEventLog) -> None:
    dana = CustomerRecord(record_type="Contact", record_id="003A1", name="Dana Whitfield", account_id="001B2",
                          url="https://org.example.com/lightning/r/Contact/003A1/view")
    crms = [Directory("salesforce", {"+15550100142": dana}), Directory("hubspot")]
    state = await _start(log, CustomerLookup(crms, vault=VAULT, log=log), "+15550100142")
    found = state.analyzers["crm_lookup"]
    assert found["salesforce"]["found"] is True and found["salesforce"]["record_id"] == "003A1"
    assert found["hubspot"]["found"] is False
    assert VAULT.open(found["salesforce"]["name_sealed"]) == "Dana Whitfield"
    events = [r.event for r in await log.read_call("c-1")]
    assert "Dana" not in str([e.model_dump() for e in events])  # sealed at rest
    assert all(c.asked == ["+15550100142"] for c in crms)  # once each


@pytest.mark.parametrize(("error", "category", "permanent"), [
    (DeliveryFailed("zendesk user lookup: HTTP 429: rate limited", retryable=True, status=429, retry_after=5),
     ErrorCategory.RATE_LIMIT, False),
    (DeliveryFailed("zendesk user lookup: HTTP 401: Couldn't authenticate you", retryable=False, status=401),
     ErrorCategory.AUTH, True),
    (DeliveryFailed("zendesk user lookup: no answer: ConnectTimeout", retryable=True), ErrorCategory.CONNECTIVITY,
     False),
])
async def test_a_failing_crm_is_recorded_beside_the_answers(log: SqliteEventLog, error: DeliveryFailed,
                                                            category: ErrorCategory, permanent: bool) -> None:
    crms = [Directory("hubspot"), Directory("zendesk", error=error)]
    await _start(log, CustomerLookup(crms, vault=VAULT, log=log), "+15550100142")
    events = [r.event for r in await log.read_call("c-1")]
    [answer] = [e for e in events if isinstance(e, CustomerIdentified)]
    [failed] = [e for e in events if isinstance(e, AnalyzerFailed)]
    assert answer.crm == "hubspot" and failed.analyzer == "crm_lookup"
    assert failed.category == category and failed.permanent is permanent and "zendesk" in failed.message


async def test_a_call_without_a_number_is_not_looked_up(log: SqliteEventLog) -> None:
    crm = Directory("hubspot")
    state = await _start(log, CustomerLookup([crm], vault=VAULT, log=log), None)
    assert crm.asked == [] and "crm_lookup" not in state.analyzers


async def test_a_slow_crm_does_not_hold_the_call(log: SqliteEventLog) -> None:
    """The lookup runs beside the call: the call's next events are recorded while the CRM has not answered."""
    gate = threading.Event()
    lookup = CustomerLookup([Directory("hubspot", gate=gate)], vault=VAULT, log=log)
    log.add_listener(lookup.on_appended)
    await log.append("c-2", [CallStarted(agent_id="a1", customer_phone_sealed=VAULT.seal("+15550100142"))],
                     expected_seq=0)
    await log.append("c-2", [AnalyzerFailed(analyzer="x", category="internal", permanent=False, message="m",
                                            trigger_seq=1)])
    assert len(await log.read_call("c-2")) == 2 and not gate.is_set()  # recorded, the CRM still thinking
    gate.set()
    await lookup.settle()
    assert any(isinstance(r.event, CustomerIdentified) for r in await log.read_call("c-2"))
