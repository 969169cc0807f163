"""Options and phrase files: a bad one fails at construction with a message naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from callpilot.analyzers.registry import build_analyzers
from callpilot.analyzers.signals import SignalsAnalyzer
from callpilot.analyzers.signals.phrases import DEFAULT_FILES
from callpilot.core.errors import ConfigError
from tests.analyzers.signals._support import C, feed, kinds

MINIMAL = """
language: fr
stopwords: [le, la, les, je, vous]
question_openers: [pourquoi, comment]
human_requested:
  phrases: [je veux parler a un responsable]
  short: [conseiller]
"""


@pytest.mark.parametrize("options, named", [
    ({"bogus": 1}, "bogus"),
    ({"repeat_threshold": 2}, "repeat_threshold"),
    ({"silence_seconds": -1}, "silence_seconds"),
    ({"cooldown_segments": "soon"}, "cooldown_segments"),
    ({"language": "fr"}, "'fr'"),
    ({"language": "French"}, "language"),
    ({"signals": ["telepathy"]}, "signals"),
    ({"actions": {"nope": "do something"}}, "nope"),
    ({"actions": {"frustration": "  "}}, "actions"),
    ({"phrase_files": ["/nonexistent/xx.yaml"]}, "/nonexistent/xx.yaml"),
    ({"phrase_files": []}, "phrase_files"),
    ({"phrase_files": [str(DEFAULT_FILES[0]), str(DEFAULT_FILES[0])]}, "'en' is given twice"),
])
def test_bad_options(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match="signals") as caught:
        SignalsAnalyzer(**options)
    assert named in str(caught.value)


def test_bad_option_through_the_registry() -> None:
    with pytest.raises(ConfigError, match="fuzzy_threshold"):
        build_analyzers(["signals"], {"signals": {"fuzzy_threshold": 5}}, registry={"signals": SignalsAnalyzer})


@pytest.mark.parametrize("content, named", [
    ("language: fr\n", "stopwords"),
    ("[not, a, mapping]", "(file)"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nfrustration: {words: [zut]}\n", "frustration.words"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\ncolour: blue\n", "colour"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nhuman_requested: {patterns: ['parler a {chef}']}\n",
     "unknown slot 'chef'"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nslots: {chef: [chef]}\n"
     "human_requested: {patterns: ['parler a {chef?}']}\n", "must end with a required"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nslots: {chef: []}\n", "slot 'chef' is empty"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nconfusion: {phrases: ['?!']}\n", "has no words"),
    ("language: fr\nstopwords: [le]\nquestion_openers: [quoi]\nfrustration: {phrases: [{text: zut, weight: 99}]}\n",
     "frustration.phrases"),
    ("language: fr\nstopwords: [le\n", "not valid YAML"),
])
def test_bad_phrase_file(tmp_path: Path, content: str, named: str) -> None:
    path = tmp_path / "fr.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        SignalsAnalyzer(phrase_files=[str(path)])
    assert str(path) in str(caught.value) and named in str(caught.value)


async def test_own_phrase_file(tmp_path: Path) -> None:
    path = tmp_path / "fr.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    analyzer = SignalsAnalyzer(phrase_files=[str(path)], cooldown_seconds=0)
    signals, _ = await feed([(C, "Je veux parler à un responsable", 0, 2), (C, "conseiller", 6, 7)], analyzer=analyzer)
    assert [(s.signal, s.language, s.evidence) for s in signals] == [
        ("human_requested", "fr", "Je veux parler à un responsable"), ("human_requested", "fr", "conseiller")]


async def test_yaml_words_are_not_booleans(tmp_path: Path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text("language: en\nstopwords: [no, yes, on, off]\nquestion_openers: [why]\n"
                    "confusion: {short: [no, off]}\n", encoding="utf-8")
    signals, _ = await feed([(C, "no", 0, 1)], phrase_files=[str(path)])
    assert kinds(signals) == ["confusion"]


async def test_actions_can_be_replaced() -> None:
    signals, _ = await feed([(C, "representative", 0, 1)], actions={"human_requested": "Transfer to tier 2."})
    assert signals[0].suggested_action == "Transfer to tier 2."


@pytest.mark.parametrize("options, text, fires", [
    ({"fuzzy_threshold": 100}, "i dont under stand", False),
    ({}, "i dont under stand", True),
    ({"fuzzy_min_chars": 30}, "i dont under stand", False),
    ({"short_max_tokens": 1}, "representative please", False),
    ({}, "representative please", True),
])
async def test_matching_options(options: dict[str, Any], text: str, fires: bool) -> None:
    signals, _ = await feed([(C, text, 0, 1)], **options)
    assert bool(signals) is fires
