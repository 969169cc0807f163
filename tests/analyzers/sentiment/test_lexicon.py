from __future__ import annotations

from pathlib import Path

import pytest

from callpilot.analyzers.sentiment import CalibratedVader
from callpilot.analyzers.sentiment.lexicon import lexicon_from_data, load_lexicon
from callpilot.core.errors import ConfigError


def _find(phrase: str, text: str) -> list[tuple[int, int]]:
    lexicon = lexicon_from_data({"phrases": [{"group": "g", "valence": -2, "phrases": [phrase]}]})
    return [(m.start, m.end) for m in lexicon.find(text.split())]


@pytest.mark.parametrize("phrase, text, spans", [
    ("charged * twice", "you charged me twice", [(1, 4)]),
    ("charged * twice", "charged twice", [(0, 2)]),
    ("charged * twice", "charged a b c d twice", []),  # gap longer than MAX_GAP
    ("(thank you|thanks) so? much", "thanks much and thank you so much", [(0, 2), (3, 7)]),
    ("(really|so)? appreciate", "i appreciate it", [(1, 2)]),
    ("cancel my (account|service)", "cancel my card", []),
])
def test_phrase_matching(phrase: str, text: str, spans: list[tuple[int, int]]) -> None:
    assert _find(phrase, text) == spans


def test_longest_phrase_wins() -> None:
    lexicon = lexicon_from_data({"phrases": [
        {"group": "short", "valence": 2, "phrases": ["happy"]},
        {"group": "formula", "valence": 0, "phrases": ["happy to help"]},
    ]})
    (match,) = lexicon.find(["i", "am", "happy", "to", "help"])
    assert match.phrase.group == "formula"


@pytest.mark.parametrize("data, names", [
    ({"phrases": [{"group": "g", "valence": 9, "phrases": ["x"]}]}, "group 'g'"),
    ({"phrases": [{"group": "g", "valence": -1, "phrases": ["* twice"]}]}, "'* twice'"),
    ({"phrases": [{"group": "g", "valence": -1, "phrases": ["don't"]}]}, "\"don't\""),
    ({"phrases": [{"group": "g", "valence": -1, "phrases": ["(a|b"]}]}, "'(a|b'"),
    ({"phrases": [{"group": "g", "valence": -1, "phrases": ["a?"]}]}, "'a?'"),
    ({"phrases": [{"group": "g", "valence": -1, "phrases": ["x y", "X  Y"]}]}, "listed twice"),
    ({"words": {True: 0}}, "True"),  # unquoted yes/no in YAML
    ({"words": {"fine": "zero"}}, "'fine'"),
    ({"phrases": [{"valence": -1}]}, "#1"),
    ({"phrase": []}, "expected a mapping"),
])
def test_bad_lexicon_fails_naming_the_entry(data: dict, names: str) -> None:
    with pytest.raises(ConfigError, match=names.replace("(", r"\(").replace("|", r"\|").replace("?", r"\?")
                       .replace("*", r"\*")):
        lexicon_from_data(data)


def test_packaged_lexicon_loads() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.phrases) > 150 and lexicon.words["credit"] == 0


def test_extra_lexicon_adds_and_overrides(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("phrases:\n  - group: house\n    valence: -3\n    phrases: [northwind sucks, that fixed it]\n"
                     "words:\n  autopay: -1\n", encoding="utf-8")
    model = CalibratedVader(extra_lexicon=extra)
    assert model.score("northwind sucks") < -0.5
    assert model.score("that fixed it") < 0  # the extra file's valence replaced the packaged one
    assert model.score("autopay") < 0


def test_missing_or_broken_lexicon_file_fails(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        CalibratedVader(lexicon=tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("phrases: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        CalibratedVader(extra_lexicon=broken)
