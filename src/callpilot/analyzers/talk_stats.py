"""Talk-time and turn statistics per speaker, updated with every final segment."""

from __future__ import annotations

from typing import ClassVar

from callpilot.analyzers.base import Analyzer
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived, TalkStats, TalkStatsUpdated

__all__ = ["TalkStatsAnalyzer"]

_SPEAKERS = ("agent", "customer")


class TalkStatsAnalyzer(Analyzer):
    """Talk ratio, longest monologue, interruptions and silence, from segment timings alone.

    An interruption is a segment that starts at least ``MIN_OVERLAP`` seconds before the other speaker's
    last segment ended; silence is any gap of at least ``MIN_SILENCE`` seconds between the end of all speech
    so far and the next segment (the time before the first segment does not count).
    """

    name: ClassVar[str] = "talk_stats"
    MIN_OVERLAP: ClassVar[float] = 0.3
    MIN_SILENCE: ClassVar[float] = 2.0

    def __init__(self, *, min_overlap: float | None = None, min_silence: float | None = None) -> None:
        self.min_overlap = self.MIN_OVERLAP if min_overlap is None else min_overlap
        self.min_silence = self.MIN_SILENCE if min_silence is None else min_silence

    async def analyze(self, call: CallState, event: Event) -> list[Event]:
        if not isinstance(event, SegmentReceived) or not event.final:
            return []
        return [TalkStatsUpdated(stats=self.update(call.analyzers.get(self.name), event))]

    def update(self, previous: dict[str, object] | None, seg: SegmentReceived) -> TalkStats:
        prev = TalkStats.model_validate(previous) if previous else _empty()
        talk = dict(prev.talk_seconds)
        turns, longest, interrupts = dict(prev.turns), dict(prev.longest_monologue), dict(prev.interruptions)
        silence, longest_silence = prev.silence_seconds, prev.longest_silence
        speaker, start, end = seg.speaker, seg.start, max(seg.end, seg.start)

        talk[speaker] += end - start
        run_start = prev.current_run_start
        if prev.last_speaker != speaker:
            turns[speaker] += 1
            run_start = start
            if prev.last_speaker is not None and start < prev.last_end - self.min_overlap:
                interrupts[speaker] += 1
        longest[speaker] = max(longest[speaker], end - run_start)
        if prev.last_speaker is not None:
            gap = start - prev.last_end
            if gap >= self.min_silence:
                silence += gap
                longest_silence = max(longest_silence, gap)
        total = sum(talk.values())
        return TalkStats(
            talk_seconds={s: round(v, 3) for s, v in talk.items()},
            talk_ratio={s: round(talk[s] / total, 4) if total > 0 else 0.0 for s in _SPEAKERS},
            turns=turns, longest_monologue={s: round(v, 3) for s, v in longest.items()},
            interruptions=interrupts, silence_seconds=round(silence, 3),
            longest_silence=round(longest_silence, 3), last_speaker=speaker,
            last_end=max(prev.last_end, end), current_run_start=run_start,
        )


def _empty() -> TalkStats:
    zero_f = {s: 0.0 for s in _SPEAKERS}
    zero_i = {s: 0 for s in _SPEAKERS}
    return TalkStats(talk_seconds=zero_f, talk_ratio=zero_f, turns=zero_i, longest_monologue=zero_f,
                     interruptions=zero_i, silence_seconds=0.0, longest_silence=0.0, last_speaker=None,
                     last_end=0.0, current_run_start=0.0)
