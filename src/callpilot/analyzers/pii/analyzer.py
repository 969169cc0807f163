"""The PII analyzer: first in the inline chain, it rewrites every segment before it is stored or streamed."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from callpilot.analyzers.base import SegmentRewriter
from callpilot.analyzers.pii.cues import default_cues
from callpilot.analyzers.pii.entities import EntityType
from callpilot.analyzers.pii.pieces import Chain, Piece, PieceJoiner
from callpilot.analyzers.pii.redactor import PiiRedactor, RedactedSpan
from callpilot.analyzers.pii.spoken import find_digit_runs
from callpilot.analyzers.pii.vault import Vault, VaultError
from callpilot.core.errors import ConfigError
from callpilot.core.logging import get_logger
from callpilot.domain.call import CallState, Segment
from callpilot.domain.events import CallStarted, Event, SegmentReceived, SegmentRedactionAmended
from callpilot.domain.events.pii import OpenNumber, PiiEntity, PiiRedacted, PiiSpan

__all__ = ["PiiAnalyzer"]

log = get_logger(__name__)
_LOOKBACK = 6  # segments searched for the other speaker's last words and for pieces to amend


class PiiAnalyzer(SegmentRewriter):
    """Redacts each segment (see PiiRedactor), joins numbers read out in pieces (see PieceJoiner), and seals
    the raw values of ``vault_types`` in the vault.

    Options: ``policies`` (entity type -> redact | mask | keep), ``vault_types`` (entity types whose raw value
    is sealed for later use), ``max_gap_seconds`` and ``min_tail_digits`` (pieces), ``cues_file`` (a
    replacement for cues.yaml). The vault key comes from the top-level ``vault_key`` setting.
    """

    name: ClassVar[str] = "pii"
    VAULT_TYPES: ClassVar[tuple[str, ...]] = ("PHONE_NUMBER", "EMAIL", "ADDRESS")  # what CRM fields need

    def __init__(self, *, policies: Mapping[str, str] | None = None, vault_types: list[str] | None = None,
                 vault_key: str | None = None, max_gap_seconds: float = 20.0, min_tail_digits: int = 3,
                 cues_file: str | None = None) -> None:
        cues = default_cues(Path(cues_file)) if cues_file else None
        self.redactor = PiiRedactor(policies=policies, cues=cues)
        self.joiner = PieceJoiner(self.redactor, max_gap_seconds=max_gap_seconds, min_tail_digits=min_tail_digits)
        self.vault = Vault(vault_key)
        try:
            self.vault_types = frozenset(EntityType(t.upper()) for t in (vault_types or self.VAULT_TYPES))
        except ValueError as exc:
            raise ConfigError(f"pii vault_types: {exc}; entity types are {', '.join(EntityType)}") from exc
        if not self.vault.persistent:
            log.warning("pii_vault_ephemeral", hint="set vault_key: vaulted values and numbers read out in pieces "
                        "are sealed with a key that dies with this process")

    def protect_call_start(self, event: CallStarted) -> CallStarted:
        """Seal the customer's name, and redact personal data in the call's metadata strings, before the
        CallStarted event is stored."""
        name = event.customer_name
        names = [name] if name else []
        return event.model_copy(update={
            "customer_name": None,
            "customer_name_sealed": self.vault.seal(name) if name else None,
            "acd_metadata": self._redact_values(event.acd_metadata, names),
            "crm_metadata": self._redact_values(event.crm_metadata, names),
        })

    def _redact_values(self, value: Any, names: list[str], key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._redact_values(v, names, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_values(v, names, key) for v in value]
        if isinstance(value, str):
            if "name" in key.lower() and value.strip():
                return f"[{EntityType.PERSON.value}]"
            return self.redactor.redact(value, self.redactor.find(value, context=key.replace("_", " "),
                                                                   names=names)).text
        return value

    async def rewrite(self, call: CallState, event: SegmentReceived) -> tuple[SegmentReceived, list[Event]]:
        state = call.analyzers.get("pii", {})
        previous = self._open_number(state, event.speaker)
        result = self.joiner.process(
            event.text, segment_id=event.segment_id, context=_other_speaker_said(call, event.speaker),
            names=self._names(call), chain=previous, start=event.start, end=event.end, final=event.final,
        )
        redacted = event.model_copy(update={"text": result.redaction.text})
        if not event.final:
            return redacted, []  # partials are replaced by their final; pieces and counts go with finals
        events: list[Event] = [*self._amend(call, result.amendments, result.chain)]
        entities = [
            PiiEntity(type=s.type.value, start=s.out_start, end=s.out_end, policy=s.policy.value,
                      vault_ref=self.vault.seal(_raw(event.text, s)) if s.type in self.vault_types else None)
            for s in result.redaction.spans
        ]
        if entities or previous is not None or result.chain is not None:
            events.insert(0, PiiRedacted(segment_id=event.segment_id, speaker=event.speaker, entities=entities,
                                         open_number=self._sealed(result.chain)))
        return redacted, events

    def _amend(self, call: CallState, amendments: list[tuple[Piece, EntityType]], chain: Chain | None
               ) -> list[Event]:
        events: list[Event] = []
        for piece, new_type in amendments:
            segment = _segment(call, piece.segment_id)
            if segment is None:
                continue  # too far back to still be in this process's state; the streams showed [NUMBER]
            placeholder = f"[{new_type.value}]"
            text = segment.text[:piece.start] + placeholder + segment.text[piece.end:]
            events.append(SegmentRedactionAmended(segment_id=piece.segment_id, text=text,
                                                  reason=f"number read out in pieces is a {new_type.value}"))
            if chain is not None:
                chain.pieces = [Piece(p.segment_id, p.start, p.start + len(placeholder)) if p == piece else p
                                for p in chain.pieces]
        return events

    def _names(self, call: CallState) -> list[str]:
        """The customer's name from the call's metadata (sealed in the log, opened here)."""
        names = [call.customer_name] if call.customer_name else []
        if call.customer_name_sealed and (name := self._open_name(call.customer_name_sealed)) is not None:
            names.append(name)
        return names

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one analyzer per process; tokens are small
    def _open_name(self, token: str) -> str | None:
        """The sealed name, or None (logged once per token) when another vault key sealed it."""
        try:
            return self.vault.open(token)
        except VaultError:
            log.warning("pii_customer_name_unreadable", reason="sealed with another vault key")
            return None

    def _open_number(self, state: dict[str, Any], speaker: str) -> Chain | None:
        raw = state.get("open_numbers", {}).get(speaker)
        if raw is None:
            return None
        number = OpenNumber.model_validate(raw)
        try:
            digits = self.vault.open(number.digits_sealed)
        except VaultError:
            log.warning("pii_open_number_unreadable", reason="sealed with another vault key")
            return None
        return Chain(EntityType(number.type), digits, [Piece(p.segment_id, p.start, p.end) for p in number.pieces],
                     number.last_end, EntityType(number.cue_type) if number.cue_type else None)

    def _sealed(self, chain: Chain | None) -> OpenNumber | None:
        if chain is None:
            return None
        return OpenNumber(type=chain.type.value, digits_sealed=self.vault.seal(chain.digits),
                          digit_count=len(chain.digits), last_end=chain.last_end,
                          pieces=[PiiSpan(segment_id=p.segment_id, start=p.start, end=p.end) for p in chain.pieces],
                          cue_type=chain.cue_type.value if chain.cue_type else None)


def _other_speaker_said(call: CallState, speaker: str) -> str | None:
    """The other speaker's latest words, if they came within the last few segments (e.g. the agent's question)."""
    for segment in reversed(call.segments[-_LOOKBACK:]):
        if segment.speaker != speaker:
            return segment.text
    return None


def _segment(call: CallState, segment_id: str) -> Segment | None:
    for segment in reversed(call.segments[-_LOOKBACK * 2:]):
        if segment.segment_id == segment_id:
            return segment
    return None


def _raw(text: str, span: RedactedSpan) -> str:
    """What the vault keeps for a span: its text, or, for the last piece of a number read out over several
    segments, the whole number (the earlier pieces were in other segments)."""
    said = text[span.start:span.end]
    if span.digits and len(span.digits) > len("".join(r.digits for r in find_digit_runs(said))):
        return span.digits
    return said
