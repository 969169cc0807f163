"""The customer lookup at call start: each configured CRM is asked for the record with the caller's phone
number, and ``CustomerIdentified`` is recorded in the call for the agent's screen.

It listens to the log (the process that recorded ``CallStarted`` does the lookup, once) and runs beside the
call, not on the background path: a CRM that takes seconds delays neither the call's segments nor the other
calls' background work. The raw number is in the log only sealed (``CallStarted.customer_phone_sealed``), so
the lookup needs the PII vault; the name the CRM returns is sealed again before it is recorded. A CRM that
fails is recorded as ``AnalyzerFailed`` (analyzer ``crm_lookup``) after the others have answered. A restart
while a lookup is in flight loses that lookup (the agent sees no match); nothing else depends on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from callpilot.analyzers.pii.vault import Vault
from callpilot.core.errors import ErrorCategory
from callpilot.core.logging import get_logger
from callpilot.delivery.crm.base import CrmConnector
from callpilot.delivery.errors import DeliveryFailed
from callpilot.domain.events import AnalyzerFailed, CallStarted, Event, RecordedEvent
from callpilot.domain.events.customer import CustomerIdentified
from callpilot.eventlog.base import EventLog

__all__ = ["CustomerLookup"]

log = get_logger(__name__)

NAME = "crm_lookup"


class CustomerLookup:
    def __init__(self, connectors: Sequence[CrmConnector], *, vault: Vault, log: EventLog,
                 concurrency: int = 8) -> None:
        self.connectors, self.vault, self.log = list(connectors), vault, log
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def on_appended(self, events: Sequence[RecordedEvent]) -> None:
        """The log's listener: a lookup task for each call started with a phone number."""
        for recorded in events:
            if isinstance(recorded.event, CallStarted) and recorded.event.customer_phone_sealed:
                task = asyncio.get_running_loop().create_task(self._run(recorded))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def lookup(self, recorded: RecordedEvent) -> list[Event]:
        """The events for one ``CallStarted``: an answer per CRM, or a failure when none answered."""
        assert isinstance(recorded.event, CallStarted) and recorded.event.customer_phone_sealed
        phone = self.vault.open(recorded.event.customer_phone_sealed)
        results = await asyncio.gather(*(self._ask(c, phone) for c in self.connectors), return_exceptions=True)
        answers: list[Event] = [r for r in results if isinstance(r, CustomerIdentified)]
        failures = [_failure(c, r, recorded.seq) for c, r in zip(self.connectors, results, strict=True)
                    if isinstance(r, BaseException)]
        for failure in failures:
            log.warning("crm_lookup_failed", call_id=recorded.call_id, error=failure.message)
        return answers + failures

    async def settle(self) -> None:
        """Wait for the lookups in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def _run(self, recorded: RecordedEvent) -> None:
        async with self._slots:
            try:
                events = await self.lookup(recorded)
                if events:
                    await self.log.append(recorded.call_id, events, trace_id=recorded.trace_id)
            except Exception as exc:  # the log away for a moment, a bug: the call goes on without a match
                log.error("crm_lookup_crashed", call_id=recorded.call_id, exc_info=exc)

    async def _ask(self, connector: CrmConnector, phone: str) -> CustomerIdentified:
        started = time.perf_counter()
        record, matches = await asyncio.to_thread(connector.find_customer, phone)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        if record is None:
            return CustomerIdentified(crm=connector.name, found=False, elapsed_ms=elapsed)
        return CustomerIdentified(
            crm=connector.name, found=True, record_type=record.record_type, record_id=record.record_id,
            record_url=record.url, account_id=record.account_id, matches=matches, elapsed_ms=elapsed,
            name_sealed=self.vault.seal(record.name) if record.name else None)


def _failure(connector: CrmConnector, exc: BaseException, seq: int) -> AnalyzerFailed:
    if isinstance(exc, DeliveryFailed):
        category = (ErrorCategory.RATE_LIMIT if exc.status == 429 else ErrorCategory.AUTH if exc.status in (401, 403)
                    else ErrorCategory.CONNECTIVITY if exc.retryable else ErrorCategory.BAD_INPUT)
        return AnalyzerFailed(analyzer=NAME, category=category, permanent=not exc.retryable,
                              message=f"{connector.name}: {exc}"[:500], trigger_seq=seq)
    return AnalyzerFailed(analyzer=NAME, category=ErrorCategory.INTERNAL, permanent=False,
                          message=f"{connector.name}: {type(exc).__name__}", trigger_seq=seq)
