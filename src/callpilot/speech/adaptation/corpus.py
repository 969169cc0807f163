"""The domain text: knowledge-base files, rulesets' phrases and messages, and spoken digit strings, as the
recognizer would write them (lower case, words only, numbers spelled out)."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from callpilot.analyzers.rules.model import Ruleset, load_ruleset
from callpilot.core.errors import ConfigError

__all__ = ["DIGIT_CARRIERS", "TEXT_SUFFIXES", "digit_sentences", "domain_sentences", "words_of"]

TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".csv")
_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
          "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# What callers read out digit by digit; the carrier phrases are the PII recognizers' context words.
DIGIT_CARRIERS = ("account number", "card number", "phone number", "confirmation number", "reference number",
                  "member number", "order number", "zip code", "last four digits")
_SENTENCE = re.compile(r"[.!?;:\n]+")
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_MARKUP = re.compile(r"`[^`]*`|\[([^\]]*)\]\([^)]*\)|[#*_>|]")


def words_of(text: str) -> list[str]:
    """``"Call 911 or E1042's"`` -> ``["call", "nine", "one", "one", "or", "e", "one", "zero", "four", "two", "s"]``:
    numbers of one or two digits as a person says them ("eleven"), longer ones digit by digit."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("’", "'")):
        if token.isdigit():
            out += _spoken_number(token)
        else:
            out.append(token)
    return out


def _spoken_number(digits: str) -> list[str]:
    if len(digits) == 2 and digits[0] != "0":
        tens, unit = int(digits[0]), int(digits[1])
        if tens == 1:
            return [_TEENS[unit]]
        return [_TENS[tens]] + ([_DIGITS[unit]] if unit else [])
    return [_DIGITS[int(d)] for d in digits]


def digit_sentences(count: int = 40, *, seed: int = 0) -> Iterator[list[str]]:
    """Digit strings of the lengths callers read (4 to 16), bare and in the carrier phrases."""
    rng = random.Random(seed)
    for carrier in DIGIT_CARRIERS:
        for _ in range(count):
            digits = [rng.choice(_DIGITS) for _ in range(rng.choice((4, 5, 6, 8, 10, 12, 16)))]
            carrier_words = carrier.split()
            yield ["my", *carrier_words, "is", *digits]
            yield ["the", *carrier_words, "is", *digits]
            yield ["it", "is", *digits]
            yield digits


def _file_text(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".csv":
        for row in csv.reader(io.StringIO(text)):
            yield from row
    else:
        yield _MARKUP.sub(lambda m: m.group(1) or " ", text)


def _ruleset_text(ruleset: Ruleset) -> Iterator[str]:
    for rule in ruleset.rules:
        yield from rule.phrases
        yield from rule.allow
        yield rule.message
        yield rule.description


def _files(source: Path) -> Iterator[Path]:
    if source.is_dir():
        yield from sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES + (
            ".yaml", ".yml"))
    elif source.is_file():
        yield source
    else:
        raise ConfigError(f"speech.adaptation: source {str(source)!r} does not exist")


def domain_sentences(sources: Sequence[str | Path], *, rulesets: Iterable[str | Path | Ruleset] = (),
                     digits: bool = True) -> list[list[str]]:
    """Sentences (lists of words) from knowledge-base files and folders (.md, .txt, .csv), ruleset YAML files
    (in ``sources`` or named in ``rulesets``), and, with ``digits``, spoken digit strings."""
    texts: list[str] = []
    loaded = [r if isinstance(r, Ruleset) else load_ruleset(r) for r in rulesets]
    for source in sources:
        for path in _files(Path(source)):
            if path.suffix.lower() in (".yaml", ".yml"):
                loaded.append(load_ruleset(path))
            else:
                texts.extend(_file_text(path))
    for ruleset in loaded:
        texts.extend(_ruleset_text(ruleset))
    sentences = [words for text in texts for part in _SENTENCE.split(text) if (words := words_of(part))]
    if digits:
        sentences.extend(digit_sentences())
    return sentences
