"""Benchmark of the rules analyzer: time per segment with a 200-rule ruleset, at several points of a long call.

The target is p99 < 2 ms per segment, independent of call length. A call is fed segment by segment through the
real analyzer (its events folded into the CallState as the pipeline would); at each measured position, many
different segments are timed against the same state. "Cold" timings clear the matcher's word-similarity cache
before every segment, the worst case of a segment made only of words never seen before.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from pathlib import Path
from typing import Any

from callpilot.analyzers.rules.analyzer import RulesAnalyzer
from callpilot.analyzers.rules.model import Rule, Ruleset
from callpilot.domain.call import CallState
from callpilot.domain.events import Event, SegmentReceived
from callpilot.replay.transcript import load_transcript

__all__ = ["generate_ruleset", "main", "rules_bench_markdown", "run_rules_bench"]

TARGET_P99_MS = 2.0
_WORDS = [
    "account", "balance", "card", "payment", "refund", "charge", "fee", "service", "technician", "appointment",
    "window", "morning", "afternoon", "tomorrow", "today", "schedule", "address", "phone", "number", "verify",
    "identity", "security", "question", "password", "transaction", "dispute", "claim", "fraud", "credit", "debit",
    "statement", "transfer", "deposit", "withdrawal", "limit", "approved", "application", "loan", "mortgage",
    "rate", "interest", "promise", "guarantee", "definitely", "certainly", "price", "cost", "quote", "estimate",
    "repair", "replace", "install", "water", "heater", "furnace", "leak", "plumbing", "electrical", "warranty",
    "cancel", "upgrade", "plan", "discount", "offer", "billing", "invoice", "overdue", "late", "supervisor",
    "manager", "escalate", "complaint", "recorded", "monitored", "quality", "training", "purposes", "confirm",
    "confirmation", "booking", "reference", "ticket", "email", "text", "message", "arrive", "arrival", "minutes",
    "hours", "business", "days", "replacement", "shipping", "expedited", "activate", "activation", "online",
    "mobile", "app", "website", "login", "error", "update", "version", "customer", "agent", "help", "thank",
    "calling", "today", "anything", "else", "wonderful", "great", "sorry", "understand", "frustrating", "apologize",
]
_FILLER = [
    "i", "you", "we", "the", "a", "to", "and", "so", "it", "that", "is", "for", "can", "will", "your", "my", "this",
    "of", "on", "in", "just", "okay", "um", "yeah",
]


def generate_ruleset(rules: int = 200, *, seed: int = 7) -> Ruleset:
    """A synthetic ruleset of ``rules`` rules: 60% prohibited phrase lists, 15% regexes, 20% required (a third
    of them windowed), 5% ordering, over contact-center words so that segments propose many candidates."""
    rng = random.Random(seed)
    out: list[Rule] = []
    n_regex, n_required, n_ordering = rules * 15 // 100, rules * 20 // 100, rules * 5 // 100
    n_prohibited = rules - n_regex - n_required - n_ordering
    for i in range(n_required):
        within = None
        if i % 3 == 0:
            within = {"agent_seconds": rng.choice((30, 60, 120))} if i % 2 else {"agent_segments": rng.randint(2, 6)}
        out.append(_rule(f"req-{i}", "required", phrases=_phrases(rng), within=within))
    required_ids = [r.id for r in out]
    for i in range(n_prohibited):
        out.append(_rule(f"pro-{i}", "prohibited", phrases=_phrases(rng), allow=[f"can't {rng.choice(_WORDS)}"]))
    for i in range(n_regex):
        a, b = rng.sample(_WORDS, 2), rng.sample(_WORDS, 2)
        out.append(_rule(f"rx-{i}", "prohibited", patterns=[rf"\b({a[0]}|{a[1]})\w*\b.{{0,30}}\b({b[0]}|{b[1]})\b"]))
    for i in range(n_ordering):
        out.append(_rule(f"ord-{i}", "ordering", phrases=_phrases(rng), requires=[rng.choice(required_ids)]))
    return Ruleset(name="bench", rules=out)


def _rule(rule_id: str, kind: str, **fields: Any) -> Rule:
    return Rule.model_validate({"id": rule_id, "kind": kind, "description": rule_id, "severity": "warning",
                                "message": f"message of {rule_id}", **{k: v for k, v in fields.items() if v}})


def _phrases(rng: random.Random) -> list[str]:
    return [" ".join(rng.choice(_FILLER) if rng.random() < 0.3 else rng.choice(_WORDS)
                     for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(3, 6))]


def _segment_texts(rng: random.Random, count: int) -> list[str]:
    """Sample-call sentences where available, else generated ones; 5% of words get an ASR-like typo."""
    examples = Path(__file__).resolve().parents[3] / "examples" / "calls"
    real = [s.text for p in sorted(examples.glob("*.json")) for s in load_transcript(p).segments] \
        if examples.is_dir() else []
    texts = []
    for k in range(count):
        if real and k % 2 == 0:
            words = rng.choice(real).split()
        else:
            words = [rng.choice(_FILLER) if rng.random() < 0.5 else rng.choice(_WORDS)
                     for _ in range(rng.randint(8, 40))]
        texts.append(" ".join(_typo(rng, w) if rng.random() < 0.05 and len(w) > 4 else w for w in words))
    return texts


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + rng.choice("aeiou") + word[i + 1:]


class _Call:
    """A call advanced the way the pipeline advances it: the segment, then the analyzer's events."""

    def __init__(self, analyzer: RulesAnalyzer) -> None:
        self.analyzer, self.state, self.clock = analyzer, CallState(call_id="bench", queue="q"), 0.0

    def segment(self, text: str) -> SegmentReceived:
        n = len(self.state.segments)
        start, seconds = self.clock, 1.0 + len(text) / 15
        return SegmentReceived(segment_id=f"s{n}", speaker="agent" if n % 2 == 0 else "customer", text=text,
                               start=start, end=start + seconds)

    async def advance(self, text: str) -> None:
        event = self.segment(text)
        produced = await self.analyzer.analyze(self.state, event)
        self.clock = event.end + 0.4
        for out in [event, *produced]:
            self._record(out)

    def _record(self, event: Event) -> None:
        self.state.record(event)


async def _measure(call: _Call, texts: list[str], *, cold: bool) -> list[float]:
    timings = []
    for text in texts:
        event = call.segment(text)
        if cold:
            call.analyzer.engine.matcher._similar_cache.clear()
        t0 = time.perf_counter_ns()
        await call.analyzer.analyze(call.state, event)
        timings.append((time.perf_counter_ns() - t0) / 1e6)
    return timings


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50_ms": round(statistics.median(ordered), 4),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 4),
            "max_ms": round(ordered[-1], 4), "mean_ms": round(statistics.fmean(ordered), 4)}


async def _run(rules: int, positions: tuple[int, ...], samples: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    ruleset = generate_ruleset(rules, seed=seed)
    analyzer = RulesAnalyzer(ruleset=ruleset)
    call = _Call(analyzer)
    texts = _segment_texts(rng, max(positions) + samples * 2)
    fed, results = 0, {}
    for position in sorted(positions):
        while fed < position:
            await call.advance(texts[fed % len(texts)])
            fed += 1
        pool = rng.sample(texts, samples)
        warm = await _measure(call, pool, cold=False)
        cold = await _measure(call, rng.sample(texts, samples), cold=True)
        results[position] = {"warm": _stats(warm), "cold": _stats(cold)}
    words = sum(len(t.split()) for t in texts) / len(texts)
    p99 = max(r["warm"]["p99_ms"] for r in results.values())
    return {"rules": len(ruleset.rules), "kinds": _kinds(ruleset), "samples": samples,
            "mean_words_per_segment": round(words, 1), "positions": results, "target_p99_ms": TARGET_P99_MS,
            "p99_ms": p99, "ok": p99 < TARGET_P99_MS}


def _kinds(ruleset: Ruleset) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for rule in ruleset.rules:
        key = "regex" if rule.patterns else rule.kind
        kinds[key] = kinds.get(key, 0) + 1
    return kinds


def run_rules_bench(*, rules: int = 200, positions: tuple[int, ...] = (10, 500, 2000), samples: int = 500,
                    seed: int = 7) -> dict[str, Any]:
    """Time the analyzer per segment at each call position; returns the numbers (see rules_bench_markdown)."""
    return asyncio.run(_run(rules, positions, samples, seed))


def rules_bench_markdown(result: dict[str, Any]) -> list[str]:
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result["kinds"].items()))
    lines = [
        "## Rules analyzer: time per segment",
        "",
        f"{result['rules']} rules ({kinds}); {result['samples']} segments timed at each position, "
        f"{result['mean_words_per_segment']} words per segment on average. Warm: the matcher's word cache as in a "
        f"running server; cold: cleared before every segment. Target p99 < {result['target_p99_ms']:g} ms.",
        "",
        "| segment # in call | p50 warm | p99 warm | max warm | p50 cold | p99 cold |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for position, r in result["positions"].items():
        w, c = r["warm"], r["cold"]
        lines.append(f"| {position} | {w['p50_ms']:.3f} ms | {w['p99_ms']:.3f} ms | {w['max_ms']:.3f} ms "
                     f"| {c['p50_ms']:.3f} ms | {c['p99_ms']:.3f} ms |")
    verdict = "meets" if result["ok"] else "MISSES"
    lines += ["", f"Worst warm p99 {result['p99_ms']:.3f} ms: {verdict} the target."]
    return lines


def main() -> None:
    print("\n".join(rules_bench_markdown(run_rules_bench())))


if __name__ == "__main__":
    main()
