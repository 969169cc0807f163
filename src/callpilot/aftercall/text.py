"""Compressing what was said into summary language: fillers out, first and second person turned into the
call's roles ("I'll send you a new card", said by the agent, becomes "the agent will send the customer a new
card"). Rules rather than a model: the result keeps the speaker's own words, so it stays grounded."""

from __future__ import annotations

import re

__all__ = ["compress", "sentences", "third_person"]

_FILLERS = re.compile(
    r"\b(?:um+|uh+|er+|hmm+|you know|i mean|kind of|sort of|basically|literally|like,|okay so|so yeah)\b[\s,]*",
    re.I)
_LEADING = re.compile(r"^(?:(?:yeah|yes|okay|ok|so|well|oh|alright|all right|right|and|but|hi|hello|sure|no)\b"
                      r"[\s,.!]*)+", re.I)
_SPACES = re.compile(r"\s+([,.!?])|\s{2,}")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\s*,?\s*\b(?:and then|but then)\b\s*")

# (pattern, replacement for the agent's words, for the customer's words): first person is the speaker,
# second person the other party. Contractions first, so "i'll" is not read as "i" + "'ll".
_PERSON = [
    (r"\bi'm\b|\bi am\b", "{s} is"), (r"\bi've\b|\bi have\b", "{s} has"), (r"\bi'll\b|\bi will\b", "{s} will"),
    (r"\bi'd\b|\bi would\b", "{s} would"), (r"\bi was\b", "{s} was"), (r"\bi\b", "{s}"),
    (r"\bwe're\b|\bwe are\b", "{s} is"), (r"\bwe've\b", "{s} has"), (r"\bwe'll\b|\bwe will\b", "{s} will"),
    (r"\bwe\b", "{s}"), (r"\bmy\b|\bour\b", "{p}"), (r"\bme\b|\bus\b", "{o}"), (r"\bmine\b", "{p2}"),
    (r"\bmyself\b", "{o}"),
    (r"\byou're\b|\byou are\b", "{h} is"), (r"\byou've\b|\byou have\b", "{h} has"),
    (r"\byou'll\b|\byou will\b", "{h} will"), (r"\byou'd\b", "{h} would"), (r"\byou were\b", "{h} was"),
    (r"\byour\b", "{hp}"), (r"\byourself\b", "{h}"), (r"\byou\b", "{h}"),
]
_PERSON_RE = [(re.compile(p, re.I), r) for p, r in _PERSON]
_ROLES = {
    "agent": {"s": "the agent", "p": "the agent's", "o": "the agent", "p2": "the agent's",
              "h": "the customer", "hp": "the customer's"},
    "customer": {"s": "the customer", "p": "the customer's", "o": "the customer", "p2": "the customer's",
                 "h": "the agent", "hp": "the agent's"},
}
# third-person singular after a role subject: "the customer need" -> "the customer needs"
_VERB_AFTER = re.compile(r"(?<!let )\b(the (?:agent|customer)) (need|want|think|see|get|have|do|go|say|call|pay|"
                         r"like|know|hope|try|send|check|make|take|look|understand|appreciate|use|owe|feel|"
                         r"agree)\b", re.I)
_IRREGULAR = {"have": "has", "do": "does", "go": "goes", "try": "tries"}


def compress(text: str) -> str:
    """Fillers and leading acknowledgements out, spacing tidied."""
    out = _FILLERS.sub("", text)
    out = _LEADING.sub("", out.strip())
    out = _SPACES.sub(lambda m: m.group(1) or " ", out).strip(" ,")
    return out


def third_person(text: str, speaker: str) -> str:
    """The speaker's words with "I"/"you" replaced by the call's roles."""
    roles = _ROLES[speaker]
    out = text
    for pattern, replacement in _PERSON_RE:
        out = pattern.sub(replacement.format(**roles), out)
    return _VERB_AFTER.sub(lambda m: f"{m.group(1)} {_IRREGULAR.get(m.group(2).lower(), m.group(2) + 's')}", out)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
