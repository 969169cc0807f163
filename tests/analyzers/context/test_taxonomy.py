from __future__ import annotations

from pathlib import Path

import pytest

from callpilot.analyzers.context.taxonomy import DEFAULT_TAXONOMY, load_taxonomy
from callpilot.core.errors import ConfigError


def test_default_taxonomy_loads() -> None:
    taxonomy = load_taxonomy(None)
    assert 15 <= len(taxonomy.intents) <= 25
    assert all(i.description for i in taxonomy.intents)
    assert load_taxonomy(DEFAULT_TAXONOMY) == taxonomy


@pytest.mark.parametrize("content, message", [
    ("- name: a\n  description: first\n", "at least 2 intents, got 1"),
    ("[]", "at least 2 intents, got 0"),
    ("", "at least 2 intents, got 0"),
    ("- name: a\n  description: x\n- name: a\n  description: y\n", "intent name 'a' is used twice"),
    ("- name: a\n  description: x\n- name: b\n", r"bad intent entry 2 \('b'\): description: Field required"),
    ("- name: a\n  description: x\n- name: other\n  description: y\n", r"entry 2 \('other'\).*reserved"),
    ("- name: card declined\n  description: x\n- name: b\n  description: y\n", r"entry 1 .*no spaces"),
    ("- name: a\n  description: x\n  examples: ['ok', '']\n- name: b\n  description: y\n",
     r"entry 1 \('a'\): examples: .*non-empty"),
    ("- name: a\n  description: x\n  colour: red\n- name: b\n  description: y\n", r"entry 1 .*colour"),
    ("intents: {a: 1}", "expected a list of intents"),
    ("- name: a\n  description: [unclosed\n", "not valid YAML"),
    ("- just a string\n- name: b\n  description: y\n", r"bad intent entry 1"),
])
def test_bad_taxonomies_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read taxonomy file"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_label_text_does_not_repeat_the_name() -> None:
    taxonomy = load_taxonomy(None)
    intent = taxonomy.get("billing_dispute")
    assert intent is not None and intent.label_text.startswith("billing dispute: ")
