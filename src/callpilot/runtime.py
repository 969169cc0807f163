"""Everything a running callpilot process holds, built from Settings in one place."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from callpilot.aftercall.analyzer import AfterCallAnalyzer
from callpilot.analyzers.context import ContextAnalyzer
from callpilot.analyzers.pii.analyzer import PiiAnalyzer
from callpilot.analyzers.pii.vault import Vault
from callpilot.analyzers.registry import build_analyzers
from callpilot.assist.knowledge import KnowledgeService, knowledge_for
from callpilot.assist.orchestrator import AssistAnalyzer
from callpilot.bus.inprocess import InProcessWorkQueue
from callpilot.core.errors import ConfigError
from callpilot.core.logging import get_logger
from callpilot.core.metrics import count_appended
from callpilot.core.settings import Settings
from callpilot.delivery.crm.base import CrmConnector
from callpilot.delivery.crm.destination import CrmDestination
from callpilot.delivery.crm.factory import build_connectors
from callpilot.delivery.crm.lookup import CustomerLookup
from callpilot.delivery.email.destination import EmailDestination
from callpilot.delivery.outbox.destination import Destination
from callpilot.delivery.outbox.outbox import Outbox
from callpilot.delivery.outbox.retry import RetryPolicy
from callpilot.delivery.outbox.store import OutboxStore
from callpilot.delivery.webhooks.service import WebhookService
from callpilot.delivery.webhooks.urls import UrlPolicy
from callpilot.domain.call import CallState
from callpilot.eventlog.base import EventLog
from callpilot.eventlog.factory import open_event_log
from callpilot.pipeline.runner import AnalyzerRunner
from callpilot.service.aftercall import AfterCallService
from callpilot.service.calls import CallService
from callpilot.speech.service import SpeechService, make_recording_store
from callpilot.streams.hub import EventHub

__all__ = ["Runtime", "analyzer_options", "open_runtime"]

_log = get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    log: EventLog
    hub: EventHub
    calls: CallService
    aftercall: AfterCallService
    webhooks: WebhookService
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    outbox: Outbox | None = None
    lookup: CustomerLookup | None = None
    _speech: SpeechService | None = None
    _speech_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def speech(self) -> SpeechService:
        """Live audio's recognizer and recording store, started on the first audio connection (its worker
        processes are not worth starting in a deployment that only receives transcripts)."""
        async with self._speech_lock:
            if self._speech is None:
                settings = self.settings.speech
                service = SpeechService(settings, calls=self.calls,
                                        recordings=make_recording_store(settings, self.settings.cache_dir))
                await service.start()
                self._speech = service
            return self._speech

    @property
    def knowledge(self) -> KnowledgeService:
        """The knowledge bases of this deployment, in the event log's database (opened on first use; the
        orchestrator shares it)."""
        url, search_path = self.log.location()
        return knowledge_for(self.settings, database_url=url, search_path=search_path)

    async def close(self) -> None:
        if self._speech is not None:
            await self._speech.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.lookup is not None:
            await self.lookup.close()
        if self.outbox is not None:
            await self.outbox.close()
        self.webhooks.store.engine.dispose()
        await self.calls.stop()
        await self.log.close()


async def open_runtime(settings: Settings, *, log: EventLog | None = None) -> Runtime:
    """Validate the pipeline settings, open the log (migrating it) and start the background workers.
    ``log`` replaces the one ``settings.database_url`` names (an unstarted log; tests pass their own)."""
    pipeline = settings.pipeline
    log = log if log is not None else open_event_log(settings.database_url, settings)
    options = analyzer_options(settings, location=log.location())
    inline = AnalyzerRunner(build_analyzers(pipeline.inline, options), path="inline",
                            max_failures=pipeline.max_failures)
    background = AnalyzerRunner(build_analyzers(pipeline.background, options, inline=False),
                                path="background", max_failures=pipeline.max_failures, chain=True)
    if "pii" not in pipeline.inline:
        _log.warning("pii_redaction_off", consequence="segments are stored, streamed and analyzed as received")
    # the post-call job's analyzer when it is in the pipeline; else one for on-demand analysis and review
    post_call = next((a for a in background.analyzers if isinstance(a, AfterCallAnalyzer)), None)
    if post_call is None:
        post_call = AfterCallAnalyzer(**options.get(AfterCallAnalyzer.name, {}))
    if post_call.options.engine == "llm" and "pii" not in pipeline.inline:
        raise ConfigError("analyzers.aftercall: the llm engine sends transcripts to a server; it needs pii "
                          "in pipeline.inline")
    await log.start()
    for analyzer in background.analyzers:
        if isinstance(analyzer, AssistAnalyzer):  # a bad knowledge store fails here, and the index is warm
            await asyncio.to_thread(analyzer.warm)
    hub = EventHub(queue_size=settings.streams.queue_size)
    log.add_listener(hub.publish)
    log.add_listener(count_appended)
    calls = CallService(
        log, inline=inline, background=background,
        work_queue=InProcessWorkQueue(partitions=pipeline.background_workers,
                                      capacity=pipeline.background_queue_size),
        max_segment_chars=settings.max_segment_chars,
        pii=next((a for a in inline.analyzers if isinstance(a, PiiAnalyzer)), None),
    )
    await calls.start()
    if calls.vault is not None:
        post_call.engine.use_vault(calls.vault)
    context = next((a for a in background.analyzers if isinstance(a, ContextAnalyzer)), None)
    if context is not None:  # one copy of the sentence model in the process
        post_call.engine.use_encoder(context.encoder)
    aftercall = AfterCallService(calls=calls, analyzer=post_call)
    connectors = build_connectors(settings.delivery.crm)
    lookup = None
    if connectors and settings.delivery.crm.lookup:
        if calls.vault is None:
            _log.warning("crm_lookup_off", why="the caller's number is kept only sealed, and pii is not in "
                                              "pipeline.inline")
        else:
            lookup = CustomerLookup(connectors, vault=calls.vault, log=log)
            log.add_listener(lookup.on_appended)
    webhooks, outbox = _delivery(settings, log, calls, connectors)
    runtime = Runtime(settings=settings, log=log, hub=hub, calls=calls, aftercall=aftercall, webhooks=webhooks,
                      outbox=outbox, lookup=lookup)
    if outbox is not None:
        log.add_listener(outbox.notify)
        runtime.tasks.add(asyncio.create_task(outbox.run(settings.delivery.poll_seconds)))
    if post_call in background.analyzers:
        await asyncio.to_thread(post_call.engine.warm)  # the first call's wrap-up does not wait for the model
        runtime.tasks.add(asyncio.create_task(_resume(aftercall)))  # start-up does not wait for it
    return runtime


def _delivery(settings: Settings, log: EventLog, calls: CallService, connectors: list[CrmConnector]
              ) -> tuple[WebhookService, Outbox | None]:
    """The outbox's store in the event log's database, the webhook registration service and, when enabled,
    the outbox with its destinations: every webhook, the summary email and the CRMs configured."""
    options = settings.delivery
    url, search_path = log.location()
    store = OutboxStore(url, search_path=search_path)
    vault = calls.vault or Vault(settings.vault_key.get_secret_value() if settings.vault_key else None)
    policy = UrlPolicy(allow=options.allow_networks)
    service = WebhookService(store=store, policy=policy, vault=vault)
    if not options.enabled:
        return service, None
    destinations: list[Destination] = [CrmDestination(c, vault=vault) for c in connectors]
    if options.email is not None:
        destinations.insert(0, EmailDestination(options.email))

    async def state(call_id: str) -> CallState | None:
        return await calls.states.load(call_id)

    outbox = Outbox(store=store, log=log, vault=vault, states=state, destinations=destinations, policy=policy,
                    retry=RetryPolicy(base_seconds=options.base_retry_seconds,
                                      max_delay_seconds=options.max_retry_seconds,
                                      max_attempts=options.max_attempts),
                    timeout_seconds=options.timeout_seconds, concurrency=options.concurrency,
                    lease_seconds=options.lease_seconds)
    return service, outbox


async def _resume(aftercall: AfterCallService) -> None:
    if resumed := await aftercall.resume():
        _log.info("aftercall_resumed", calls=resumed, why="ended before their post-call job ran")


def analyzer_options(settings: Settings, *, location: tuple[str, str | None] | None = None
                     ) -> dict[str, dict[str, Any]]:
    """Per-analyzer options from settings, with the secrets that live at the top level handed to their owner.
    ``location`` is the event log's (database URL, search path), where the orchestrator finds the knowledge
    bases (default: ``settings.database_url``)."""
    options = {name: dict(opts) for name, opts in settings.analyzers.items()}
    if settings.vault_key is not None:
        options.setdefault("pii", {})["vault_key"] = settings.vault_key.get_secret_value()
    # The orchestrator searches the knowledge bases stored in the deployment's own database.
    url, search_path = location or (settings.database_url, None)
    for name in ("assist", "assist_llm"):
        opts = options.setdefault(name, {})
        opts.setdefault("database_url", url)
        opts.setdefault("cache_dir", settings.cache_dir / "onnx")
        if search_path is not None:
            opts.setdefault("search_path", search_path)
    # the post-call job classifies intents with the context analyzer's taxonomy unless it has its own
    post_call, context = options.setdefault("aftercall", {}), options.get("context", {})
    for key in ("taxonomy", "products", "model_path"):
        if key in context:
            post_call.setdefault(key, context[key])
    llm, fast = options["assist_llm"], options["assist"]
    for key in ("kb", "vector_store", "model_path", "encoder"):  # both stages search the same knowledge base
        if key in fast:
            llm.setdefault(key, fast[key])
    return options
