"""Slot filling: each CRM field's value from the call, with its confidence and the segments it came from.

Agents ask for a value and the customer answers a turn later, so the filler looks for that structure first: an
agent segment that asks for the field (its name, its description, its ``ask`` phrases, what asking for its
type sounds like: "how much", "what time", or a choice of values offered: "nine am or eleven am") and the
customer's next segments, read loosely ("two thirty" is a time in answer to "what time works"). A correction
("no wait, make that three hundred", "can we do friday instead") wins, also a few turns later; a read-back the
customer confirms raises the confidence, and replaces the value when it differs (the agent resolved "twelve
fifty" as twelve hundred fifty dollars); a value the agent proposes and the customer accepts counts. Without a
question, a value said next to the field's words is taken with less confidence. When several fields share a
type (a payment date and an appointment date), the one the call talks about wins. Anything below the review
threshold goes to a human.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from callpilot.aftercall.fields.cues import TYPE_CUES, WEAK_TYPE_CUES, cue_words
from callpilot.aftercall.fields.names import common_name, proper
from callpilot.aftercall.fields.schema import PII_TYPES, FieldSchema, FieldSpec, FieldType
from callpilot.aftercall.fields.values import NO, YES, Candidate, read_values
from callpilot.aftercall.view import CallView, ViewSegment
from callpilot.domain.analysis import FieldResult
from callpilot.embeddings.base import TextEncoder, Vectors

__all__ = ["Confidence", "SlotFiller"]

_CORRECTION = re.compile(r"\b(?:no wait|wait|actually|sorry|make that|make it|i mean|rather|scratch that|"
                         r"change (?:that|it) to|no no|don't use (?:that|this)(?: one)?|use my|instead)\b", re.I)
_DECLINE = re.compile(r"\b(?:rather not|prefer not|don't have (?:one|an?)|do not have (?:one|an?)|not comfortable|"
                      r"no email|skip (?:that|it)|i'll pass|don't want to (?:give|share))\b", re.I)
_ANSWER_SEGMENTS = 2
_LATER = 4  # segments after an answer searched for a correction or a read-back


class Confidence:
    """How sure a value is, by how it was found (named so the review threshold reads against them)."""

    ANSWERED = 0.9          # the customer answered the agent's question with it
    PROPOSED = 0.85         # the agent proposed it and the customer agreed
    CONFIRMED_BONUS = 0.06  # the agent read it back and the customer confirmed
    SAID_WITH_CUE = 0.7     # said next to the field's own words, not in answer to a question
    ONLY_VALUE = 0.6        # the call's only phone number (email, address) of the field's type
    LOOSE_TYPES = {FieldType.STRING: 0.08, FieldType.BOOLEAN: 0.04}  # less sure of free text and yes/no
    UNSEALED = 0.5          # personal data the vault did not keep: the value cannot be delivered


@dataclass(frozen=True, slots=True)
class _Found:
    candidate: Candidate
    confidence: float
    evidence: tuple[int, ...]
    note: str | None = None


class SlotFiller:
    """``encoder`` (optional) settles which of several fields of one type a question asks for, by meaning:
    "when can you come in" is nearer "date of the service appointment or visit" than "when the payment is
    made"."""

    SEMANTIC_BONUS: float = 1.5
    SEMANTIC_MARGIN: float = 0.05

    def __init__(self, *, schema: FieldSchema, encoder: Callable[[], TextEncoder] | None = None) -> None:
        self.schema = schema
        self._cues = {spec.name: cue_words(spec) for spec in schema.fields}
        self._encoder = encoder
        self._labels: dict[str, Vectors] = {}  # filled once; a race only computes the same vectors twice
        self._shared = {t for t in FieldType if sum(1 for f in schema.fields if f.type is t) > 1}

    def fill(self, view: CallView) -> dict[str, FieldResult]:
        meaning = self._nearest_fields(view)  # per call: fill() may run for several calls at once
        topic = {spec.name: self._topic(spec, view) for spec in self.schema.fields}
        named = {spec.name for spec in self.schema.fields if any(self._mentions(spec, seg) for seg in view.segments)}
        scores = {spec.name: self._scores(spec, view, meaning) for spec in self.schema.fields}
        sole = {spec.name for spec in self.schema.fields if all(
            topic[o.name] == 0 for o in self.schema.fields if o.type is spec.type and o is not spec)}
        return {spec.name: self._fill_one(spec, view, scores, topic, sole, named) for spec in self.schema.fields}

    def _topic(self, spec: FieldSpec, view: CallView) -> int:
        """How much the call talks about this field: segments with its own words count 2, with its
        description's words 1; personal data and fields named only by generic words count as talked about."""
        cues = self._cues[spec.name]
        if spec.type in PII_TYPES:
            return 1
        own = sum(2 for seg in view.segments if self._mentions(spec, seg))
        described = sum(1 for seg in view.segments if any(p.search(seg.text) for p in cues.described))
        return own + described if (cues.specific or cues.phrases[1:]) else max(1, own + described)

    def _scores(self, spec: FieldSpec, view: CallView, meaning: dict[tuple[FieldType, int], str]) -> list[float]:
        """How much each agent segment asks for the field, plus half a point per segment naming the field in
        the few before ("who's the payment going to ... and when would you like it to go out")."""
        own = [self._ask_score(spec, seg, view) if seg.speaker == "agent" else 0.0 for seg in view.segments]
        said = [1.0 if self._mentions(spec, seg) else 0.0 for seg in view.segments]
        scores = [score + (0.5 * min(2.0, sum(said[max(0, i - 4):i])) if score > 0 else 0.0)
                  for i, score in enumerate(own)]
        for i, score in enumerate(scores):
            if score > 0 and meaning.get((spec.type, i)) == spec.name:
                scores[i] += self.SEMANTIC_BONUS
        return scores

    def _nearest_fields(self, view: CallView) -> dict[tuple[FieldType, int], str]:
        """For each agent segment that asks in the words of a type several fields share, the field of that
        type nearest in meaning (label and description), if it leads the next by ``SEMANTIC_MARGIN``. One
        batch of embeddings for the call (a few segments), the labels once per filler."""
        if self._encoder is None or not self._shared:
            return {}
        asks = [(kind, seg) for seg in view.segments if seg.speaker == "agent" for kind in self._shared
                if self._asks_for_type(kind, seg.text.lower())]
        if not asks:
            return {}
        encoder = self._encoder()
        missing = [f for f in self.schema.fields if f.type in self._shared and f.name not in self._labels]
        if missing:
            vectors = encoder.encode([f"{f.label}: {f.description}" for f in missing])
            self._labels.update({f.name: v for f, v in zip(missing, vectors, strict=True)})
        segments = list(dict.fromkeys(seg.index for _kind, seg in asks))
        questions = dict(zip(segments, encoder.encode([view.segments[i].text for i in segments]), strict=True))
        out: dict[tuple[FieldType, int], str] = {}
        for kind, seg in asks:
            ranked = sorted(((float(questions[seg.index] @ self._labels[f.name]), f.name)
                             for f in self.schema.fields if f.type is kind), reverse=True)
            if ranked[0][0] - ranked[1][0] >= self.SEMANTIC_MARGIN:
                out[kind, seg.index] = ranked[0][1]
        return out

    @staticmethod
    def _asks_for_type(kind: FieldType, text: str) -> bool:
        return any(cue in text for cue in TYPE_CUES[kind]) or any(
            re.search(rf"\b{cue}\b", text) for cue in WEAK_TYPE_CUES.get(kind, ()))

    # -- one field ---------------------------------------------------------------------------------------
    def _fill_one(self, spec: FieldSpec, view: CallView, scores: dict[str, list[float]], topic: dict[str, int],
                  sole: set[str], named: set[str]) -> FieldResult:
        found: _Found | None = None
        declined = None
        for q in self._questions(spec, view, scores, topic, sole, weak_enough=spec.name in named):
            if spec.type is FieldType.BOOLEAN and not self._names_field(spec, q):
                continue  # "would you like ..." asks about many things: a yes/no field's own words must be there
            answer = self._answer(spec, view, q)
            if isinstance(answer, str):
                declined = answer
            elif answer is not None:
                found, declined = answer, None
        if found is None and declined is None:
            found = self._said(spec, view, only=spec.name in sole and topic[spec.name] > 0)
        if found is None and declined is None and spec.type is FieldType.STRING:
            found = self._echoed(spec, view, only=spec.name in sole and topic[spec.name] > 0)
        if found is None:
            missing = declined or ("asked, but no answer was understood" if any(scores[spec.name])
                                   else "not discussed")
            return FieldResult(value=None, confidence=0.0, note=missing)
        found = self._confirmed(spec, view, self._corrected(spec, view, found))
        if spec.type in PII_TYPES and found.candidate.sealed is None:
            found = _sealed_later(spec, view, found)
        confidence = found.confidence - Confidence.LOOSE_TYPES.get(spec.type, 0.0)
        note = found.note
        if spec.type in PII_TYPES and found.candidate.sealed is None:
            confidence = min(confidence, Confidence.UNSEALED)
            note = (f"no raw {PII_TYPES[spec.type]} value in the vault for it (is the type in "
                    "analyzers.pii.vault_types?)")
        return FieldResult(value=found.candidate.value, confidence=round(confidence, 3),
                           evidence=sorted(set(found.evidence)), sealed=found.candidate.sealed, note=note)

    def _questions(self, spec: FieldSpec, view: CallView, scores: dict[str, list[float]], topic: dict[str, int],
                   sole: set[str], *, weak_enough: bool) -> list[ViewSegment]:
        """Agent segments that ask for this field more than for any other field of its type (one point does
        when no other field of the type comes up in the call); a tie goes to the field the call talks about
        more."""
        # half a point ("when would you like the payment sent") is enough for the one date or time field the
        # call names; a point for the only field of its type; two when fields of the type compete
        weak_enough = weak_enough and spec.type in WEAK_TYPE_CUES
        threshold = (0.5 if weak_enough else 1.0) if spec.name in sole else 2.0
        rivals = [o for o in self.schema.fields if o.type is spec.type and o is not spec]
        out = []
        for seg in view.segments:
            mine = scores[spec.name][seg.index]
            if mine < threshold:
                continue
            if all(mine > scores[o.name][seg.index] or mine == scores[o.name][seg.index]
                   and topic[spec.name] >= topic[o.name] for o in rivals):
                out.append(seg)
        return out

    def _answer(self, spec: FieldSpec, view: CallView, question: ViewSegment) -> _Found | str | None:
        """The value the customer gave in answer, a reason they gave none (declined), or None."""
        replies = _replies(view, question.index)
        found = self._reply(spec, view, question, replies)
        if found is None and replies and spec.type not in PII_TYPES:
            # an answer the redactor withheld ("twelve fifty" read as digits) or that was not understood, which
            # the agent reads back and the customer confirms
            found = self._read_back(spec, view, replies[-1].index, (question.index, replies[-1].index))
        return found

    def _read_back(self, spec: FieldSpec, view: CallView, after: int, evidence: tuple[int, ...]) -> _Found | None:
        nxt = next((s for s in view.segments[after + 1:after + 3] if s.speaker == "agent"), None)
        if nxt is None:
            return None
        said = read_values(spec, nxt, call_date=view.call_date, loose=False)
        reply = _replies(view, nxt.index)[:1]
        if not said or not reply:
            return None
        if len({c.value for c in said}) == 1 and YES.search(reply[0].text):
            return _Found(said[0], Confidence.PROPOSED, (*evidence, nxt.index, reply[0].index))
        if _CORRECTION.search(reply[0].text) or NO.search(reply[0].text):  # "oh wait no, it's four ninety two fifty"
            corrected = read_values(spec, reply[0], call_date=view.call_date, loose=True)
            if corrected:
                return _Found(_pick(reply[0], corrected), Confidence.ANSWERED, (*evidence, nxt.index, reply[0].index))
        return None

    def _reply(self, spec: FieldSpec, view: CallView, question: ViewSegment, replies: list[ViewSegment]
               ) -> _Found | str | None:
        for seg in replies:
            if _DECLINE.search(seg.text):
                return "the customer declined to give it"
            candidates = read_values(spec, seg, call_date=view.call_date, loose=True)
            if YES.match(seg.text) and spec.type not in (FieldType.BOOLEAN, FieldType.STRING) \
                    and self._asks_in_words(spec, question):
                # "and the amount was twelve fifty" - "yeah, the full bill is thirty four hundred but ...": the
                # yes answers the agent's value; the rest is context
                asked = read_values(spec, question, call_date=view.call_date, loose=True)
                if len({c.value for c in asked}) == 1:
                    return _Found(asked[0], Confidence.PROPOSED, (question.index, seg.index))
            if candidates:
                chosen = _echoed_value(view, seg, candidates, spec) or _pick(seg, candidates)
                return _Found(chosen, Confidence.ANSWERED, (question.index, seg.index))
            if spec.type is FieldType.BOOLEAN:
                continue
            # a value the agent proposes ("the earliest is tomorrow, would that work"), when the question
            # names the field or offers nothing else
            proposal = read_values(spec, question, call_date=view.call_date, loose=False)
            if len({c.value for c in proposal}) == 1 and YES.search(seg.text) and (
                    self._mentions(spec, question) or spec.type in (FieldType.DATE, FieldType.TIME)):
                return _Found(proposal[0], Confidence.PROPOSED, (question.index, seg.index))
            if NO.search(seg.text):
                continue
        return None

    def _said(self, spec: FieldSpec, view: CallView, *, only: bool) -> _Found | None:
        """A value said without a question: next to the field's words, or (``only``: the field is the one of
        its type the call talks about) the call's only personal value of its type."""
        with_cue: list[tuple[Candidate, ViewSegment]] = []
        every: list[Candidate] = []
        for seg in view.segments:
            candidates = read_values(spec, seg, call_date=view.call_date, loose=False)
            every.extend(candidates)
            if candidates and (self._mentions(spec, seg) or spec.type is FieldType.ENUM and seg.speaker == "customer"):
                with_cue.extend((c, seg) for c in candidates)
        if with_cue:
            # an enum value the customer says first is the one the call is about ("i lost my debit card"), later
            # ones are asides ("i have a credit card i can use"); other values: the one said most (a read-back
            # repeats it), the latest on a tie
            if spec.type is FieldType.ENUM:
                candidate, seg = with_cue[0]
            else:
                counts = {c.value: sum(1 for d, _s in with_cue if d.value == c.value) for c, _s in with_cue}
                candidate, seg = max(reversed(with_cue), key=lambda cs: counts[cs[0].value])
            cut = 0.0 if seg.speaker == "customer" else 0.05
            return _Found(candidate, Confidence.SAID_WITH_CUE - cut, (seg.index,))
        values = {c.value for c in every}
        # only for personal data: the call's one phone number is likely the number to call back; the call's one
        # time or amount was, on the sample calls, as often a transaction's as the field's
        if len(values) == 1 and only and spec.type in PII_TYPES:
            return _Found(every[-1], Confidence.ONLY_VALUE, tuple(c.segment for c in every),
                          note="the call's only value of this type; nobody named the field")
        return None

    def _echoed(self, spec: FieldSpec, view: CallView, *, only: bool) -> _Found | None:
        """A name the customer says and the agent repeats in the next turn ("it's from brightline fitness" -
        "brightline fitness for eighty four ninety nine"), where the field is talked about (or it is the one
        text field the call talks about)."""
        excluded = {v.lower() for f in self.schema.fields for v in f.values}
        for seg in view.segments:
            if seg.speaker != "customer":
                continue
            echo = next((s for s in view.segments[seg.index + 1:seg.index + 3] if s.speaker == "agent"), None)
            if echo is None:
                continue
            name = common_name(seg.text, echo.text, excluded)
            if name is None:
                continue
            before = view.segments[seg.index - 1] if seg.index > 0 else None
            named = any(self._names_field(spec, s) for s in (seg, echo, before) if s is not None)
            if named or only:
                start = seg.text.lower().find(name)
                return _Found(Candidate(proper(name), seg.index, start, start + len(name)),
                              Confidence.SAID_WITH_CUE, (seg.index, echo.index),
                              note="a name the agent repeated; nobody asked for the field")
        return None

    def _corrected(self, spec: FieldSpec, view: CallView, found: _Found) -> _Found:
        """The customer changing the value a few turns later ("oh wait ... can we do friday instead")."""
        start = max(found.evidence) + 1
        for seg in view.segments[start:start + _LATER]:
            if seg.speaker != "customer" or not _CORRECTION.search(seg.text):
                continue
            # read strictly: a later segment may be answering another question ("zero one six nine" is no time)
            candidates = read_values(spec, seg, call_date=view.call_date, loose=False)
            corrected = _after_correction(seg, candidates)
            if corrected is not None and corrected.value != found.candidate.value:
                return _Found(corrected, found.confidence, (*found.evidence, seg.index), found.note)
        return found

    def _confirmed(self, spec: FieldSpec, view: CallView, found: _Found) -> _Found:
        """An agent read-back the customer confirms: the same value gets more confidence; another single value
        replaces it (the customer agreed to the agent's reading)."""
        start = max(found.evidence) + 1
        for seg in view.segments[start:start + _LATER]:
            if seg.speaker != "agent":
                continue
            said = read_values(spec, seg, call_date=view.call_date, loose=False)
            reply = _replies(view, seg.index)[:1]
            if not said or not reply or not YES.search(reply[0].text):
                continue
            evidence = (*found.evidence, seg.index, reply[0].index)
            bonus = min(0.97, found.confidence + Confidence.CONFIRMED_BONUS)
            if any(c.value == found.candidate.value for c in said):
                return _Found(found.candidate, bonus, evidence, found.note)
            if len({c.value for c in said}) == 1 and spec.type not in PII_TYPES:
                return _Found(said[0], found.confidence, evidence, found.note)
        return found

    # -- cues ----------------------------------------------------------------------------------------------
    def _ask_score(self, spec: FieldSpec, seg: ViewSegment, view: CallView) -> float:
        text = f" {seg.text.lower()} "
        cues = self._cues[spec.name]
        score = sum(2.0 for p in cues.phrases if p in text)
        score += sum(1.0 for p in cues.specific if p.search(text)) + sum(0.5 for p in cues.described
                                                                         if p.search(text))
        if any(cue in text for cue in TYPE_CUES[spec.type]):
            score += 1.0
        elif any(re.search(rf"\b{cue}\b", text) for cue in WEAK_TYPE_CUES.get(spec.type, ())):
            score += 0.5
        if spec.type is FieldType.ENUM and sum(1 for v in spec.values if v.lower() in text) >= 2:
            score += 2.0  # "checking or savings?"
        elif spec.type in (FieldType.TIME, FieldType.DATE, FieldType.MONEY) and len(
                {c.value for c in read_values(spec, seg, call_date=view.call_date, loose=False)}) >= 2:
            score += 1.0  # options offered: "nine am or eleven am"
        return score

    def _asks_in_words(self, spec: FieldSpec, seg: ViewSegment) -> bool:
        """The segment asks in the type's own words ("the amount was ...") or the field's phrases."""
        text = seg.text.lower()
        return any(cue in text for cue in (*TYPE_CUES[spec.type], *self._cues[spec.name].phrases))

    def _names_field(self, spec: FieldSpec, seg: ViewSegment) -> bool:
        """Its own words or its description's."""
        return self._mentions(spec, seg) or any(p.search(seg.text) for p in self._cues[spec.name].described)

    def _mentions(self, spec: FieldSpec, seg: ViewSegment) -> bool:
        cues = self._cues[spec.name]
        text = seg.text.lower()
        return any(p in text for p in cues.phrases) or any(p.search(text) for p in cues.specific)


def _replies(view: CallView, index: int) -> list[ViewSegment]:
    """The customer's segments right after the agent's segment ``index`` (up to the agent's next turn but
    one: the agent may acknowledge before the customer finishes)."""
    out: list[ViewSegment] = []
    agent_turns = 0
    for seg in view.segments[index + 1:]:
        if seg.speaker == "agent":
            agent_turns += 1
            if agent_turns > 1 or out:
                break
            continue
        out.append(seg)
        if len(out) >= _ANSWER_SEGMENTS:
            break
    return out


def _sealed_later(spec: FieldSpec, view: CallView, found: _Found) -> _Found:
    """A number read out in pieces is vaulted whole with its last piece: the same speaker's next segments."""
    first = view.segments[found.candidate.segment]
    wanted = PII_TYPES[spec.type]
    for seg in view.segments[first.index + 1:first.index + 4]:
        if seg.speaker != first.speaker:
            continue
        sealed = next((v for v in seg.vaulted if v.type == wanted), None)
        if sealed is not None:
            candidate = Candidate(found.candidate.value, seg.index, sealed.start, sealed.end, sealed=sealed.vault_ref)
            return _Found(candidate, found.confidence, (*found.evidence, seg.index), found.note)
    return found


def _echoed_value(view: CallView, seg: ViewSegment, candidates: Sequence[Candidate], spec: FieldSpec
                  ) -> Candidate | None:
    """Of several values in an answer ("the invoice is $16,800 but we're paying half, so $8,400"), the one the
    agent repeats in the next turn."""
    if len({c.value for c in candidates}) < 2:
        return None
    nxt = next((s for s in view.segments[seg.index + 1:seg.index + 3] if s.speaker == "agent"), None)
    if nxt is None:
        return None
    repeated = {c.value for c in read_values(spec, nxt, call_date=view.call_date, loose=True)}
    return next((c for c in candidates if c.value in repeated), None)


def _after_correction(seg: ViewSegment, candidates: Sequence[Candidate]) -> Candidate | None:
    """The first value after the last correction cue that has one after it."""
    ordered = sorted(candidates, key=lambda c: c.start)
    for m in reversed(list(_CORRECTION.finditer(seg.text))):
        later = [c for c in ordered if c.start >= m.end()]
        if later:
            return later[0]
    return None


def _pick(seg: ViewSegment, candidates: Sequence[Candidate]) -> Candidate:
    """The first value in the answer, or the one after a correction ("two fifty, no wait, three hundred")."""
    return _after_correction(seg, candidates) or sorted(candidates, key=lambda c: c.start)[0]
