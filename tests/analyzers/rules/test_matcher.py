"""The matcher: whole words, ASR tolerance, allow phrases, regexes (text in, expected evidence out)."""

from __future__ import annotations

import time

import pytest

from callpilot.analyzers.rules.linear_regex import PatternSet
from callpilot.analyzers.rules.matcher import RulesetMatcher
from callpilot.analyzers.rules.model import Rule, Ruleset


def _rule(rule_id: str, **fields: object) -> Rule:
    return Rule.model_validate({"id": rule_id, "kind": "prohibited", "description": rule_id, "severity": "warning",
                                "message": rule_id, **fields})


RULESET = Ruleset(name="t", rules=[
    _rule("promise", phrases=["promise", "guarantee"], allow=["can't promise", "cannot guarantee", "no guarantee"]),
    _rule("arrival", phrases=["i guarantee the technician will be there by"]),
    _rule("recorded", phrases=["this call may be recorded"]),
    _rule("balance", phrases=["your balance is"], fuzzy=False),
    _rule("card", phrases=["[CARD_NUMBER]"], fuzzy=False),
    _rule("price-regex", patterns=[r"\b(guarantee|promise)\w*\b.{0,30}\b(price|cost)\b"], allow=["can't promise"]),
    _rule("strict", phrases=["refund approved"], threshold=99),
])
MATCHER = RulesetMatcher(RULESET)
IDS = [r.id for r in RULESET.rules]


def _scan(text: str) -> dict[str, str]:
    return {IDS[i]: text[h.start:h.end] for i, h in MATCHER.scan(text).items()}


@pytest.mark.parametrize("text, expected", [
    pytest.param("i promise you", {"promise": "promise"}, id="exact word"),
    pytest.param("I PROMISE you", {"promise": "PROMISE"}, id="case"),
    pytest.param("we reached a compromise on that", {}, id="not inside a longer word"),
    pytest.param("promises promises", {"promise": "promises"}, id="inflected, fuzzy"),
    pytest.param("the premise is simple", {}, id="similar word below threshold"),
    pytest.param("i garantee it", {"promise": "garantee"}, id="asr misspelling"),
    pytest.param("i garantee the technician will be there by ten",
                 {"promise": "garantee", "arrival": "i garantee the technician will be there by"}, id="phrase+asr"),
    pytest.param("i guarantee the tech nician will be there by ten",
                 {"promise": "guarantee", "arrival": "i guarantee the tech nician will be there by"},
                 id="asr split word"),
    pytest.param("please note this call maybe recorded", {"recorded": "this call maybe recorded"}, id="merged words"),
    pytest.param("this call may be record it for quality", {"recorded": "this call may be record"},
                 id="asr split ending"),
    pytest.param("this recorded call", {}, id="words out of order"),
    pytest.param("i can't promise that", {}, id="allow phrase excuses"),
    pytest.param("I cant promise that but I promise this", {"promise": "promise"}, id="allow excuses only overlap"),
    pytest.param("there is no guarantee", {}, id="allow: no guarantee"),
    pytest.param("your balance is forty", {"balance": "your balance is"}, id="exact only rule"),
    pytest.param("your ballance is forty", {}, id="exact only rule ignores misspelling"),
    pytest.param("the card is [CARD_NUMBER] right", {"card": "[CARD_NUMBER]"}, id="placeholder"),
    pytest.param("the card is CARD NUMBER right", {}, id="placeholder needs brackets"),
    pytest.param("i promise the price stays", {"promise": "promise", "price-regex": "promise the price"}, id="regex"),
    pytest.param("i can't promise the price but i guarantee the cost",
                 {"promise": "guarantee", "price-regex": "guarantee the cost"}, id="regex: excused, then a later one"),
    pytest.param("refund approvd", {}, id="per-rule threshold"),
    pytest.param("refund approved", {"strict": "refund approved"}, id="per-rule threshold exact"),
    pytest.param("", {}, id="empty"),
])
def test_scan(text: str, expected: dict[str, str]) -> None:
    assert _scan(text) == expected


def test_first_match_wins_and_offsets_point_into_the_text() -> None:
    text = "okay I promise, and I promise again"
    hit = MATCHER.scan(text)[IDS.index("promise")]
    assert (hit.start, hit.end, hit.score) == (7, 14, 100.0)


def test_many_rules_share_an_index() -> None:
    """200 rules sharing words: only the ones whose own word is present match (fuzzy off: the numbered words
    differ by a digit or two, which fuzzy matching rightly treats as the same word)."""
    rules = [_rule(f"r{i}", phrases=[f"forbidden word number{i}"], fuzzy=False) for i in range(200)]
    matcher = RulesetMatcher(Ruleset(name="big", rules=rules))
    found = matcher.scan("this has forbidden word number137 in it and forbidden word number42 and forbidden word")
    assert sorted(found) == [42, 137]


def test_regexes_run_in_linear_time() -> None:
    """A pattern that makes a backtracking engine take exponential time is harmless on RE2."""
    patterns = PatternSet([r"^(a+)+$", r"(x+x+)+y"])
    start = time.perf_counter()
    assert patterns.matching("a" * 20_000 + "b") == []
    assert patterns.matching("x" * 20_000) == []
    assert time.perf_counter() - start < 0.5
