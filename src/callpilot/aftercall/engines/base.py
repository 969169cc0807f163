"""The engine interface: a call's state in, a grounded ``CallAnalysis`` out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from callpilot.aftercall.fields.schema import FieldSchema
from callpilot.aftercall.outcome import DispositionSpec
from callpilot.analyzers.pii.vault import Vault
from callpilot.domain.analysis import CallAnalysis
from callpilot.domain.call import CallState
from callpilot.domain.events.aftercall import LlmUsage
from callpilot.embeddings.base import TextEncoder

__all__ = ["AfterCallEngine", "EngineResult"]


@dataclass(frozen=True, slots=True)
class EngineResult:
    analysis: CallAnalysis
    usage: LlmUsage | None = None
    fallback_reason: str | None = None
    notes: list[str] = field(default_factory=list)


class AfterCallEngine(ABC):
    """``name`` is what ``analyzers.aftercall.engine`` selects. Engines are built once per process and reused
    for every call (models load in the constructor, never per call). ``schema`` and ``dispositions`` are the
    configured CRM fields and disposition set, which reviewers' edits are checked against."""

    name: str
    vault: Vault | None = None
    schema: FieldSchema
    dispositions: tuple[DispositionSpec, ...]

    def use_vault(self, vault: Vault) -> None:
        """The PII vault of the pipeline, for personal field values (opened, normalised, sealed again)."""
        self.vault = vault

    def use_encoder(self, encoder: TextEncoder) -> None:
        """A sentence encoder already loaded in the process (the context analyzer's), to share; engines
        without one ignore it."""
        return None

    def warm(self) -> None:
        """Load what the first call would otherwise wait for (models); called once at start-up."""
        return None

    @abstractmethod
    async def analyze(self, call: CallState, *, extra_reasons: list[str] | None = None) -> EngineResult:
        """The analysis of an ended call (``extra_reasons`` send it to review); raises AnalyzerError saying how
        it failed."""
