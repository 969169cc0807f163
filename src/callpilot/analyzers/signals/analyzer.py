"""The conversation-signals analyzer: repeated questions, frustration, requests for a person, confusion, long
silences or holds, and the agent talking over the customer, each with evidence and a suggested action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import ValidationError

from callpilot.analyzers.base import Analyzer
from callpilot.analyzers.signals.options import ACTIONS, SignalsOptions, parse_options
from callpilot.analyzers.signals.phrases import (
    DEFAULT_FILES,
    LanguagePack,
    PhraseMatch,
    detect_language,
    load_pack,
    non_overlapping,
)
from callpilot.analyzers.signals.questions import Question, find_questions, jaccard
from callpilot.analyzers.signals.text import Text
from callpilot.core.errors import AnalyzerError, ConfigError, ErrorCategory
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived, Speaker
from callpilot.domain.events.signals import (
    SIGNAL_KINDS,
    FiredAt,
    HeldSince,
    SignalDetected,
    SignalKind,
    SignalsState,
    SignalsTracked,
    SpeakerTurn,
    TrackedQuestion,
)

__all__ = ["SignalsAnalyzer", "Similarity"]

Similarity = Callable[[str, str], float]
"""Optional semantic hook: similarity (0-1) of two question texts, consulted when the lexical overlap is low."""

_Span = tuple[Text, int, int]  # a text and the token range (inclusive) that is the evidence
_EVIDENCE_TOKENS = 12


class SignalsAnalyzer(Analyzer):
    """Finds conversation signals in each final segment, from its text, its timing and a small running state.

    The state (last few customer questions as content words, a decaying frustration level, a count of questions
    in a row, each speaker's last turn, an announced hold, recent talk-overs, when each kind last fired) travels in
    a ``SignalsTracked`` event after every segment, so the work per segment does not grow with the call. A kind
    fires again only after ``cooldown_seconds`` and ``cooldown_segments``. Threshold signals score 0.5 at their
    threshold and 1.0 at twice it; phrase signals score 1.0 exact and the fuzzy ratio otherwise.
    """

    name: ClassVar[str] = "signals"
    ACTIONS: ClassVar[dict[str, str]] = ACTIONS

    def __init__(self, *, similarity: Similarity | None = None, **options: Any) -> None:
        self.options: SignalsOptions = parse_options(options)
        o = self.options
        packs = [load_pack(path, fuzzy_threshold=o.fuzzy_threshold, fuzzy_min_chars=o.fuzzy_min_chars,
                           short_max_tokens=o.short_max_tokens)
                 for path in (DEFAULT_FILES if o.phrase_files is None else o.phrase_files)]
        if not packs:
            raise ConfigError("analyzer 'signals': phrase_files: at least one language file is needed")
        self.packs: dict[str, LanguagePack] = {}
        for pack in packs:
            if pack.code in self.packs:
                raise ConfigError(f"analyzer 'signals': phrase_files: language {pack.code!r} is given twice "
                                  f"({self.packs[pack.code].source}, {pack.source})")
            self.packs[pack.code] = pack
        if o.language not in ("auto", "metadata", *self.packs):
            raise ConfigError(f"analyzer 'signals': language: {o.language!r} has no phrase file "
                              f"(loaded: {', '.join(self.packs)})")
        self.default_language = packs[0].code
        self.actions = {**self.ACTIONS, **o.actions}
        self.enabled: frozenset[str] = frozenset(o.signals)
        self.similarity = similarity

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, SegmentReceived) or not event.final:
            return []
        area = call.analyzers.get(self.name) or {}
        try:
            state = SignalsState.model_validate(area["state"]) if "state" in area else SignalsState()
        except ValidationError as exc:  # only a state written by an incompatible version could fail here
            raise AnalyzerError(f"the call's signals state cannot be read: {exc.error_count()} problem(s)",
                                category=ErrorCategory.BAD_INPUT, permanent=True) from exc
        return self.step(call, state, event)

    def step(self, call: CallState, state: SignalsState, seg: SegmentReceived) -> list[Event]:
        """Advance ``state`` (the analyzer's own copy, changed in place) by one final segment; returns the signals
        found, then the new state."""
        text = Text.of(seg.text[: self.options.max_chars])
        lang = self._language(call, text, state)
        state.segments += 1
        state.language = lang
        found: list[SignalDetected] = []
        self._silence(state, seg, lang, found)
        self._talk_over(state, seg, text, lang, found)
        if seg.speaker == "customer":
            self._customer(state, seg, text, lang, found)
        else:
            self._agent(state, seg, text, lang)
        state.last[seg.speaker] = SpeakerTurn(segment_id=seg.segment_id, start=seg.start,
                                              end=max(seg.end, seg.start), words=len(text.tokens))
        horizon = seg.end - self.options.active_seconds
        active = [k for k in SIGNAL_KINDS if k in state.fired and state.fired[k].at >= horizon]
        return [*found, SignalsTracked(state=state, active=active)]

    # -- language -------------------------------------------------------------------------------------------

    def _language(self, call: CallState, text: Text, state: SignalsState) -> str:
        choice = self.options.language
        if choice not in ("auto", "metadata"):
            return choice
        if choice == "metadata":
            code = str(call.acd_metadata.get("language", "")).lower().replace("_", "-").split("-")[0]
            if code in self.packs:
                return code
        fallback = state.language if state.language in self.packs else self.default_language
        return detect_language(text, list(self.packs.values()), fallback)

    def _matches(self, category: str, text: Text, lang: str) -> list[PhraseMatch]:
        """Matches of a category, the segment's language first; in text order."""
        packs = [self.packs[lang]]
        if self.options.match_all_languages:
            packs += [p for code, p in self.packs.items() if code != lang]
        found = [m for pack in packs for m in pack.categories[category].find_all(text)]
        return sorted(non_overlapping(found), key=lambda m: m.first)

    # -- timing signals -------------------------------------------------------------------------------------

    def _silence(self, state: SignalsState, seg: SegmentReceived, lang: str, found: list[SignalDetected]) -> None:
        o = self.options
        if not state.last:
            return  # the time before the first segment is not a silence
        if state.hold is not None:
            if seg.speaker == "agent":  # the agent is back: the hold ends whatever the customer said meanwhile
                held, hold = seg.start - state.hold.since, state.hold
                state.hold = None
                if held >= o.hold_seconds:
                    self._fire(state, found, seg, "long_silence", lang, score=_scale(held, o.hold_seconds),
                               value=round(held, 2), related=hold.segment_id, action="long_hold",
                               detail=f"the customer was on hold for {held:.0f} s")
            return
        previous = max(state.last.values(), key=lambda t: t.end)
        gap = seg.start - previous.end
        if gap >= o.silence_seconds:
            self._fire(state, found, seg, "long_silence", lang, score=_scale(gap, o.silence_seconds),
                       value=round(gap, 2), related=previous.segment_id,
                       detail=f"{gap:.1f} s of silence before this segment")

    def _talk_over(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str,
                   found: list[SignalDetected]) -> None:
        """Agent speech that starts well inside the customer's, whichever of the two segments arrives last."""
        o = self.options
        turn, overlap, span = None, 0.0, None
        if seg.speaker == "agent":
            customer = state.last.get("customer")
            if (customer and customer.start < seg.start and customer.end - seg.start >= o.talk_over_seconds
                    and len(text.tokens) >= o.talk_over_min_words):
                turn = SpeakerTurn(segment_id=seg.segment_id, start=seg.start, end=seg.end, words=len(text.tokens))
                overlap = customer.end - seg.start
                span = (text, 0, min(len(text.tokens), _EVIDENCE_TOKENS) - 1)
        else:
            agent = state.last.get("agent")
            if (agent and seg.start < agent.start and seg.end - agent.start >= o.talk_over_seconds
                    and agent.words >= o.talk_over_min_words
                    and all(t.segment_id != agent.segment_id for t in state.talk_overs)):
                turn, overlap = agent, min(seg.end, agent.end) - agent.start
        if turn is None:
            return
        recent = [t for t in state.talk_overs if t.start >= seg.start - o.talk_over_window]
        state.talk_overs = [*recent, turn][-o.talk_over_count:]
        if len(state.talk_overs) >= o.talk_over_count and self._fire(
                state, found, seg, "talk_over", lang, speaker="agent", span=span, value=round(overlap, 2),
                score=_scale(overlap, o.talk_over_seconds), related=None if span else turn.segment_id,
                detail=f"the agent started {overlap:.1f} s before the customer finished, "
                       f"{len(state.talk_overs)} times in {o.talk_over_window:.0f} s"):
            state.talk_overs = []

    # -- text signals ---------------------------------------------------------------------------------------

    def _agent(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str) -> None:
        if len(text.tokens) >= 3:  # more than a backchannel: the customer's questions got a reply
            for question in state.questions:
                question.answered = True
        if len(text.tokens) >= self.options.confusion_reset_words:
            state.questions_in_row = 0  # a real answer: the next question starts a new run
        hold = self._matches("hold", text, lang)
        if hold:
            state.hold = HeldSince(segment_id=seg.segment_id, since=max(seg.end, seg.start))

    def _customer(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str,
                  found: list[SignalDetected]) -> None:
        human = self._matches("human_requested", text, lang)
        confusion = self._matches("confusion", text, lang)
        cues = self._matches("frustration", text, lang)
        if human:
            best = max(human, key=lambda m: m.score)
            self._fire(state, found, seg, "human_requested", best.language, score=best.score,
                       span=(text, best.first, best.last), detail=f'asked for a person: "{best.phrase}"')
        # "Are you kidding me" is no question to answer; "can I speak to a supervisor" and "what do you mean" are
        # signals of their own, not questions to compare for repetition.
        questions = [q for q in find_questions(text, self.packs[lang]) if not _overlaps(q, cues)]
        topical = [q for q in questions if not _overlaps(q, human + confusion)]
        repeated = self._repeated(state, seg, text, lang, topical, found)
        self._confusion(state, seg, text, lang, questions, confusion, found)
        self._frustration(state, seg, text, lang, cues, repeated, found)
        for q in topical:
            if len(q.tokens) >= self.options.repeat_min_tokens:
                state.questions.append(TrackedQuestion(segment_id=seg.segment_id, at=seg.start, tokens=list(q.tokens),
                                                       text=text.excerpt(q.first, q.last)[:200]))
        state.questions = state.questions[-self.options.repeat_memory:]

    def _repeated(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str, questions: list[Question],
                  found: list[SignalDetected]) -> bool:
        """Whether a question repeats one the agent has already replied to (fired or held back by cool-down)."""
        o = self.options
        best: tuple[float, Question, TrackedQuestion, str] | None = None
        for q in questions:
            if len(q.tokens) < o.repeat_min_tokens:
                continue
            for earlier in state.questions:
                if not earlier.answered:
                    continue
                sim, how = jaccard(q.tokens, earlier.tokens), "same words"
                if sim < o.repeat_threshold:
                    if self.similarity is None:
                        continue
                    sim, how = self.similarity(text.excerpt(q.first, q.last), earlier.text), "same meaning"
                    if sim < o.semantic_threshold:
                        continue
                if best is None or sim > best[0]:
                    best = (sim, q, earlier, how)
        if best is None:
            return False
        sim, q, earlier, how = best
        self._fire(state, found, seg, "repeated_question", lang, score=min(1.0, sim), value=round(sim, 3),
                   span=(text, q.first, q.last), related=earlier.segment_id,
                   detail=f'{how} as a question at {earlier.at:.0f} s: "{earlier.text}"')
        return True

    def _confusion(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str, questions: list[Question],
                   phrases: list[PhraseMatch], found: list[SignalDetected]) -> None:
        o = self.options
        if questions:
            if state.questions_in_row == 0 or seg.start - state.question_run_start > o.confusion_window:
                state.questions_in_row, state.question_run_start = 0, seg.start
            state.questions_in_row += len(questions)
        else:
            state.questions_in_row = 0
        if phrases:
            best = max(phrases, key=lambda m: m.score)
            fired = self._fire(state, found, seg, "confusion", best.language, score=best.score,
                               span=(text, best.first, best.last), detail=f'said "{best.phrase}"')
        elif state.questions_in_row >= o.confusion_questions:
            count, last = state.questions_in_row, questions[-1]
            fired = self._fire(state, found, seg, "confusion", lang, score=_scale(count, o.confusion_questions),
                               value=count, span=(text, last.first, last.last),
                               detail=f"{count} questions in a row")
        else:
            return
        if fired:
            state.questions_in_row = 0

    def _frustration(self, state: SignalsState, seg: SegmentReceived, text: Text, lang: str,
                     cues: list[PhraseMatch], repeated: bool, found: list[SignalDetected]) -> None:
        o = self.options
        added = sum(c.weight * c.score for c in cues) + (o.frustration_repeat_weight if repeated else 0.0)
        decay = 0.5 ** (max(0.0, seg.start - state.frustration_at) / o.frustration_half_life)
        level = state.frustration * decay + min(added, o.frustration_max_per_segment)
        state.frustration, state.frustration_at = round(level, 4), max(state.frustration_at, seg.start)
        if cues and level >= o.frustration_threshold:
            cue = cues[0]
            self._fire(state, found, seg, "frustration", cue.language, score=_scale(level, o.frustration_threshold),
                       value=round(level, 3), span=(text, cue.first, cue.last),
                       detail=f'frustration level {level:.1f} (fires at {o.frustration_threshold:g}); '
                              f'latest cue "{cue.phrase}"')

    # -- firing ---------------------------------------------------------------------------------------------

    def _fire(self, state: SignalsState, found: list[SignalDetected], seg: SegmentReceived, kind: SignalKind,
              lang: str, *, score: float, span: _Span | None = None, value: float | None = None, detail: str = "",
              related: str | None = None, speaker: Speaker | None = None, action: str | None = None) -> bool:
        """Report a signal unless it is switched off or cooling down; whether it was reported."""
        o = self.options
        last = state.fired.get(kind)
        if kind not in self.enabled or (last is not None and (
                state.segments - last.segment < o.cooldown_segments or seg.end - last.at < o.cooldown_seconds)):
            return False
        state.fired[kind] = FiredAt(segment=state.segments, at=seg.end)
        evidence, start, end = "", 0, 0
        if span is not None and span[0].tokens:
            text, first, last_token = span
            start, end = text.raw_span(first, last_token)
            evidence = text.raw[start:end][:300]
            end = start + len(evidence)
        found.append(SignalDetected(
            signal=kind, speaker=speaker or seg.speaker, segment_id=seg.segment_id, evidence=evidence, start=start,
            end=end, score=round(max(0.0, min(1.0, score)), 3), value=value,
            suggested_action=self.actions[action or kind], language=lang, detail=detail[:300],
            related_segment_id=related,
        ))
        return True


def _overlaps(question: Question, matches: list[PhraseMatch]) -> bool:
    return any(question.first <= m.last and m.first <= question.last for m in matches)


def _scale(value: float, threshold: float) -> float:
    """0.5 at the threshold, 1.0 at twice the threshold."""
    return min(1.0, value / (2 * threshold))
