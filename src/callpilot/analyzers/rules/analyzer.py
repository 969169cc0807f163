"""The compliance rules analyzer: live violations and the call's requirement checklist."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.rules.engine import STATE_KEY, RulesEngine, initial_state
from callpilot.analyzers.rules.model import Ruleset, load_rulesets
from callpilot.core.errors import ConfigError
from callpilot.domain.call import CallState
from callpilot.domain.events import CallEnded, Event, SegmentReceived

__all__ = ["RulesAnalyzer"]


class RulesAnalyzer(Analyzer):
    """Checks every final segment against a ruleset and closes the checklist when the call ends.

    Options: ``ruleset`` (a YAML path or a shipped ruleset's name: "banking", "home_services"; or a built
    :class:`Ruleset`) or ``rulesets`` (several, run as one), for every call; and/or ``by_queue``, a map from
    queue-name patterns (shell-style, e.g. ``card-*``) to a ruleset or a list of them: the first pattern that
    matches the call's queue chooses, and ``ruleset(s)``, if given, serves the calls no pattern matches.
    ``campaign_key``: the ACD metadata field that names the call's campaign. With no ruleset option at all,
    ``BY_QUEUE`` applies: the shipped rulesets on queues whose names say what they are for, nothing elsewhere.
    """

    name: ClassVar[str] = "rules"
    BY_QUEUE: ClassVar[dict[str, str | list[str]]] = {
        "*card*": "banking", "*bank*": "banking", "*fraud*": "banking", "*loan*": "banking",
        "*booking*": "home_services", "*plumb*": "home_services", "*hvac*": "home_services",
        "*home-service*": "home_services",
    }
    triggers: ClassVar[tuple[type[Event], ...]] = (SegmentReceived, CallEnded)

    def __init__(self, *, ruleset: str | Path | Ruleset | None = None,
                 rulesets: list[str | Path | Ruleset] | None = None,
                 by_queue: dict[str, str | list[str]] | None = None, campaign_key: str = "campaign") -> None:
        if ruleset is not None and rulesets:
            raise ConfigError("analyzer 'rules': give 'ruleset' or 'rulesets', not both")
        refs: list[str | Path | Ruleset] = [ruleset] if ruleset is not None else list(rulesets or [])
        if not refs and by_queue is None:
            by_queue = dict(self.BY_QUEUE)
        if not refs and not by_queue:
            raise ConfigError("analyzer 'rules': give a ruleset ('ruleset', 'rulesets' or 'by_queue')")
        self.default = RulesEngine(load_rulesets(refs)) if refs else None
        self.by_queue: list[tuple[str, RulesEngine]] = []
        for pattern, chosen in (by_queue or {}).items():
            chosen_refs: list[str | Path | Ruleset] = [chosen] if isinstance(chosen, str) else list(chosen)
            self.by_queue.append((pattern.lower(), RulesEngine(load_rulesets(chosen_refs))))
        self.campaign_key = campaign_key

    @property
    def engine(self) -> RulesEngine:
        """The engine for calls no queue pattern matches (or the first one, when there is no default)."""
        return self.default or self.by_queue[0][1]

    @property
    def ruleset(self) -> Ruleset:
        return self.engine.ruleset

    def engine_for(self, queue: str | None) -> RulesEngine | None:
        name = (queue or "").lower()
        for pattern, engine in self.by_queue:
            if fnmatch.fnmatchcase(name, pattern):
                return engine
        return self.default

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if isinstance(event, SegmentReceived) and not event.final:
            return []
        if not isinstance(event, SegmentReceived | CallEnded):
            return []
        engine = self.engine_for(call.queue)
        if engine is None:
            return []  # no ruleset for this queue
        campaign = call.acd_metadata.get(self.campaign_key)
        queue, campaign = call.queue, None if campaign is None else str(campaign)
        events: list[Event] = []
        state = call.analyzers.get(STATE_KEY)
        if state is None:
            started = engine.start(queue, campaign)
            events.append(started)
            state = initial_state(started)
        if isinstance(event, CallEnded):
            return events + engine.on_end(state)
        return events + engine.on_segment(state, event, engine.in_scope(queue, campaign))
