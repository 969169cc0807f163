"""The extractive, compressive summary: the customer's issue, what the agent did, and what happens next, each
sentence made from one segment (fillers out, "I"/"you" turned into the roles) and citing it.

Segments are scored by what makes them worth a summary: the words the call keeps coming back to (weighted by
how rare they are elsewhere in the call), entities (amounts, dates, products), commitments and outcomes. The
issue is the customer's best early segment; the action the agent's best segment; the outcome the last
commitment (an action item) or the agent's closing resolution. Long calls get a few more sentences.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from callpilot.aftercall.text import compress, sentences, third_person
from callpilot.aftercall.view import CallView, ViewSegment
from callpilot.analyzers.context.analyzer import content_words
from callpilot.domain.analysis import ActionItem, Disposition, IntentResult, Summary, SummarySentence

__all__ = ["ExtractiveSummarizer"]

_GREETING = re.compile(r"\b(?:thank you for calling|thanks for calling|how (?:can|may) i help|my name is|"
                       r"this is \w+ (?:speaking|from)|have a (?:great|good|nice) (?:day|one)|bye|goodbye)\b", re.I)
_OUTCOME = re.compile(r"\b(?:i've|i have|we've|it's|that's|you're) (?:gone ahead and )?(?:refunded|credited|reversed|"
                      r"updated|fixed|processed|resolved|cancell?ed|reset|booked|scheduled|set|all set|sent|submitted|"
                      r"ordered|applied|waived|done)\b", re.I)
_MAX_WORDS = 32
_QUESTION = re.compile(r"^(?:what|when|where|who|why|how|which|can|could|would|will|do|does|did|is|are|have|has|"
                       r"should|may)\b", re.I)


class ExtractiveSummarizer:
    def __init__(self, *, sentences_per_10_minutes: int = 1, max_sentences: int = 6) -> None:
        self.per_10_minutes = sentences_per_10_minutes
        self.max_sentences = max_sentences

    def summarize(self, view: CallView, *, intent: IntentResult, actions: Sequence[ActionItem],
                  disposition: Disposition) -> Summary:
        if not view.segments:
            return Summary(text="", bullets=[], sentences=[])
        scores = _scores(view)
        chosen: list[SummarySentence] = []
        used: set[int] = set()
        issue = self._best(view.by_speaker("customer"), scores, early=True)
        if issue is not None:
            chosen.append(_sentence(issue, lead="The customer says"))
            used.add(issue.index)
        extra = min(self.max_sentences - 3, int(view.duration // 600) * self.per_10_minutes)
        agent = [s for s in view.by_speaker("agent") if s.index not in used]
        for seg in sorted(agent, key=lambda s: scores[s.index], reverse=True)[:1 + max(0, extra)]:
            if scores[seg.index] > 0:
                chosen.append(_sentence(seg, lead="The agent says"))
                used.add(seg.index)
        closing = self._closing(view, actions, used)
        if closing is not None:
            chosen.append(closing)
        chosen = sorted({s.segments[0]: s for s in chosen if s.text}.values(), key=lambda s: s.segments[0])
        return Summary(text=" ".join(s.text for s in chosen), bullets=_bullets(chosen, intent, actions, disposition),
                       sentences=chosen)

    @staticmethod
    def _best(segments: Sequence[ViewSegment], scores: list[float], *, early: bool) -> ViewSegment | None:
        if not segments:
            return None
        pool = list(segments)
        if not early:
            best = max(pool, key=lambda s: (scores[s.index], -s.index))
            return best if scores[best.index] > 0 else segments[0]
        # the issue is stated early: the customer's first substantive segments weigh most
        pool = pool[:max(1, math.ceil(len(pool) * 0.5))]
        weighted = {s.index: scores[s.index] / (1 + 0.3 * rank) for rank, s in enumerate(pool)}
        best = max(pool, key=lambda s: (weighted[s.index], -s.index))
        return best if weighted[best.index] > 0 else segments[0]

    @staticmethod
    def _closing(view: CallView, actions: Sequence[ActionItem], used: set[int]) -> SummarySentence | None:
        for item in reversed(actions):
            if item.segments[0] not in used and item.owner in ("agent", "team"):
                text = item.text if item.text.endswith((".", "…")) else item.text + "."
                return SummarySentence(text=text, segments=list(item.segments))
        for seg in reversed(view.segments):
            if seg.index not in used and seg.speaker == "agent" and _OUTCOME.search(seg.text):
                return _sentence(seg, lead="The agent says")
        return None


def _scores(view: CallView) -> list[float]:
    """Each segment's worth for the summary: its recurring rare-ish words, entities, commitments; greetings,
    backchannels and very long monologues count less."""
    words = [set(content_words(s.text)) for s in view.segments]
    frequency = Counter(w for ws in words for w in ws)
    n = len(view.segments)
    scores = []
    for seg, ws in zip(view.segments, words, strict=True):
        if len(ws) < 2 or _GREETING.search(seg.text) and len(ws) < 10:
            scores.append(0.0)
            continue
        # words said more than once carry the topic; idf keeps ubiquitous words from dominating
        topical = sum(math.log(1 + n / frequency[w]) for w in ws if frequency[w] > 1)
        score = topical / math.sqrt(len(ws)) + 0.5 * len(seg.entities) + (1.0 if _OUTCOME.search(seg.text) else 0.0)
        scores.append(score + 0.3 * min(len(ws), 12) / 12)
    return scores


def _sentence(seg: ViewSegment, *, lead: str) -> SummarySentence:
    """The segment's most informative sentence, compressed and in the third person, citing it."""
    parts = [compress(s) for s in sentences(seg.text)]
    parts = [p for p in parts if len(content_words(p)) >= 2] or [compress(seg.text)]
    best = max(parts, key=lambda p: len(set(content_words(p))))
    text = third_person(best, seg.speaker)
    words = text.split()
    if len(words) > _MAX_WORDS:
        text = " ".join(words[:_MAX_WORDS]) + "…"
    if not text.lower().startswith(("the customer", "the agent")):
        text = f"{lead.replace(' says', ' asks') if _QUESTION.match(best) else lead} {text}"
    text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", "?", "…")):
        text += "."
    return SummarySentence(text=text, segments=[seg.index])


def _bullets(chosen: Sequence[SummarySentence], intent: IntentResult, actions: Sequence[ActionItem],
             disposition: Disposition) -> list[str]:
    """Three short bullets: the issue, what was done, what happens next."""
    issue = intent.name.replace("_", " ") if intent.name != "other" else (_short(chosen[0].text) if chosen else "")
    done = _short(chosen[1].text) if len(chosen) > 1 else disposition.value
    pending = [a for a in actions if a.owner in ("agent", "team", "customer")]
    nxt = _short(pending[-1].text) + (f" ({pending[-1].due})" if pending[-1].due else "") if pending else "no follow-up"
    return [f"Issue: {issue}", f"Done: {done}", f"Next: {nxt}"]


def _short(text: str, words: int = 14) -> str:
    text = re.sub(r"^The (?:customer|agent) says ", "", text).rstrip(".")
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
