"""Settings -> the recognizer's rescoring options (built once at start-up; the model is pickled into the
worker processes with the rest of the decoder's recipe)."""

from __future__ import annotations

from typing import Any

from callpilot.analyzers.rules.model import shipped_rulesets
from callpilot.core.logging import get_logger
from callpilot.core.settings import AdaptationSettings
from callpilot.speech.adaptation.corpus import domain_sentences
from callpilot.speech.adaptation.ngram import DomainLM

__all__ = ["adaptation_options", "build_domain_lm"]

log = get_logger(__name__)


def build_domain_lm(settings: AdaptationSettings) -> DomainLM:
    rulesets = shipped_rulesets() if settings.rulesets is None else settings.rulesets
    sentences = domain_sentences(settings.sources, rulesets=rulesets, digits=settings.digits)
    model = DomainLM(sentences)
    log.info("speech_domain_model", sentences=len(sentences), words=model.tokens,
             vocabulary=len(model.vocabulary), sources=len(settings.sources), rulesets=len(rulesets))
    return model


def adaptation_options(settings: AdaptationSettings) -> dict[str, Any]:
    """``nbest``, ``domain`` and ``domain_weight`` for PocketsphinxASR."""
    if not settings.nbest:
        return {"nbest": 0}
    if not settings.domain or not settings.weight:
        return {"nbest": settings.nbest}
    return {"nbest": settings.nbest, "domain": build_domain_lm(settings), "domain_weight": settings.weight}
