"""The answering sentence of a chunk, and a snippet around it with the sentence's offsets for highlighting."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from callpilot.assist.kb.chunker import split_sentences
from callpilot.assist.retrieval.lexical import stem_terms

__all__ = ["Snippet", "make_snippet"]

MAX_CHARS = 320


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlight: tuple[int, int]
    """[start, end) of the answering sentence within ``text``."""

    @property
    def sentence(self) -> str:
        return self.text[self.highlight[0]:self.highlight[1]]


def make_snippet(text: str, query_terms: set[str], *, idf: Mapping[str, float] | None = None,
                 skip: str | None = None, max_chars: int = MAX_CHARS) -> Snippet:
    """The sentence sharing the most query terms, weighted by their rarity in the knowledge base (``idf``; an
    error code outweighs "screen"), with neighbours while they fit. Ties: the earlier sentence.

    ``skip`` is a sentence never chosen as the answer (an FAQ's own question, which always matches best).
    """
    weight = idf or {}
    sentences = split_sentences(text) or [text]
    skip_terms = set(stem_terms(skip)) if skip else None
    best, best_score = 0, -1.0
    for i, sentence in enumerate(sentences):
        terms = stem_terms(sentence)
        if skip_terms is not None and set(terms) == skip_terms:
            continue
        overlap = sum(weight.get(t, 1.0) for t in query_terms.intersection(terms))
        score = overlap / math.sqrt(max(len(terms), 1)) + (0.01 if i == 0 else 0.0)
        if score > best_score:
            best, best_score = i, score
    answer = sentences[best]
    if len(answer) > max_chars:
        cut = answer[:max_chars].rsplit(" ", 1)[0] + " ..."
        return Snippet(text=cut, highlight=(0, len(cut)))
    before, after = best, best + 1
    length = len(answer)
    while True:  # grow to the right first: what follows an answer is usually its steps
        if after < len(sentences) and length + 1 + len(sentences[after]) <= max_chars:
            length += 1 + len(sentences[after])
            after += 1
        elif before > 0 and length + 1 + len(sentences[before - 1]) <= max_chars:
            before -= 1
            length += 1 + len(sentences[before])
        else:
            break
    prefix = " ".join(sentences[before:best])
    start = len(prefix) + (1 if prefix else 0)
    snippet = " ".join(sentences[before:after])
    return Snippet(text=snippet, highlight=(start, start + len(answer)))
