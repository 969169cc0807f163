"""Questions in ASR text, with or without question marks, and their content words.

ASR output rarely has a "?", so a clause is also a question when it opens (after fillers such as "so", "and",
"pues") with an interrogative opener of the language ("why", "can you", "is it", "cuál", "por qué", "me puede").
Inside an unpunctuated clause, an opener right after a joiner starts a new question ("i see two so why was i
charged twice"), while one after other words does not ("i don't know what happened" is no question).
"""

from __future__ import annotations

from dataclasses import dataclass

from callpilot.analyzers.signals.phrases import LanguagePack
from callpilot.analyzers.signals.text import Text

__all__ = ["MAX_CONTENT_TOKENS", "Question", "content_tokens", "find_questions", "jaccard"]

MAX_CONTENT_TOKENS = 24


@dataclass(frozen=True, slots=True)
class Question:
    first: int  # token indices, inclusive
    last: int
    tokens: tuple[str, ...]  # content tokens, stemmed, unique, sorted


def find_questions(text: Text, pack: LanguagePack) -> list[Question]:
    """The questions in a segment, in order."""
    questions = []
    for a, b in _clauses(text):
        lead = _skip_fillers(text, pack, a, b)
        starts = [p for p in range(lead, b + 1) if _opens_question(text, pack, lead, p)]
        if not starts and "?" in text.breaks_before(b + 1):
            starts = [lead]
        for i, start in enumerate(starts):
            end = b
            if i + 1 < len(starts):
                end = starts[i + 1] - 1
                while end > start and text.tokens[end] in pack.fillers:  # the joiner before the next question
                    end -= 1
            questions.append(Question(start, end, content_tokens(text.tokens[start:end + 1], pack)))
    return questions


def _clauses(text: Text) -> list[tuple[int, int]]:
    """Token ranges between punctuation marks."""
    clauses, begin = [], 0
    for i in range(1, len(text.tokens)):
        if text.breaks_before(i):
            clauses.append((begin, i - 1))
            begin = i
    if text.tokens:
        clauses.append((begin, len(text.tokens) - 1))
    return clauses


def _skip_fillers(text: Text, pack: LanguagePack, a: int, b: int) -> int:
    while a < b and text.tokens[a] in pack.fillers:
        a += 1
    return a


def _opens_question(text: Text, pack: LanguagePack, lead: int, p: int) -> bool:
    """Whether token ``p`` opens a question: first after the clause's fillers, or right after a joiner."""
    tokens = text.tokens
    if p > lead and tokens[p - 1] not in pack.fillers:
        return False
    if (tokens[p],) not in pack.openers and tuple(tokens[p:p + 2]) not in pack.openers:
        return False
    return not any(tokens[p:p + len(ex)] == ex for ex in pack.exclusions)


def content_tokens(tokens: tuple[str, ...] | list[str], pack: LanguagePack) -> tuple[str, ...]:
    """Tokens that carry the question's topic: no stopwords or fillers, crudely stemmed, at most a few dozen."""
    kept = {_stem(t, pack.suffixes) for t in tokens if t not in pack.stopwords and t not in pack.fillers}
    return tuple(sorted(kept)[:MAX_CONTENT_TOKENS])


def _stem(token: str, suffixes: tuple[str, ...]) -> str:
    if token.startswith("["):
        return token  # a redaction placeholder
    for suffix in suffixes:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def jaccard(a: tuple[str, ...] | list[str], b: tuple[str, ...] | list[str]) -> float:
    sa, sb = set(a), set(b)
    union = len(sa | sb)
    return len(sa & sb) / union if union else 0.0
