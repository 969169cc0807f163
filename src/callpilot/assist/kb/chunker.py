"""Documents -> chunks: by section (heading), then paragraphs up to a size, with one sentence of overlap.

Chunks are what retrieval ranks and what the encoder embeds (it reads up to 128 wordpieces, roughly 90 words),
so a chunk holds one idea: a section's paragraphs while they fit in ``max_words``, a long paragraph cut at
sentence ends. The last sentence of a chunk opens the next one of the same section, so an answer that straddles
the cut is whole in one of them.
"""

from __future__ import annotations

import re

from callpilot.assist.kb.documents import Chunk, Document

__all__ = ["Chunker", "split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n(?=- )")


def split_sentences(text: str) -> list[str]:
    """Sentences (and list items) of a passage; good enough for support articles, not a linguistic parser."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class Chunker:
    MAX_WORDS = 120
    MIN_WORDS = 25
    OVERLAP_SENTENCES = 1

    def __init__(self, *, max_words: int | None = None, overlap_sentences: int | None = None) -> None:
        self.max_words = max_words or self.MAX_WORDS
        self.overlap = self.OVERLAP_SENTENCES if overlap_sentences is None else overlap_sentences
        if self.max_words < 20:
            raise ValueError("max_words must be at least 20")

    def chunk(self, document: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in document.sections:
            pieces = self._pieces(section.paragraphs)
            for text in self._pack(pieces):
                chunks.append(Chunk(ordinal=len(chunks), heading=section.heading, text=text))
        if not chunks:  # a document that is only a title
            chunks.append(Chunk(ordinal=0, heading=None, text=document.title))
        return chunks

    def _pieces(self, paragraphs: tuple[str, ...]) -> list[list[str]]:
        """A paragraph that fits a chunk stays whole; a longer one becomes one piece per sentence (a sentence
        longer than a chunk is cut by words), so that packing can cut it with overlap."""
        pieces: list[list[str]] = []
        for paragraph in paragraphs:
            sentences = split_sentences(paragraph) or [paragraph]
            if _words(sentences) <= self.max_words:
                pieces.append(sentences)
                continue
            pieces.extend([part] for sentence in sentences for part in _cut_words(sentence, self.max_words))
        return pieces

    def _pack(self, pieces: list[list[str]]) -> list[str]:
        out: list[list[str]] = []
        current: list[str] = []
        fresh = 0  # sentences of ``current`` that are not overlap from the previous chunk
        for piece in pieces:
            if current and fresh and _words(current) + _words(piece) > self.max_words:
                out.append(current)
                current = current[-self.overlap:] if self.overlap else []
                if _words(current) + _words(piece) > self.max_words:
                    current = []
                fresh = 0
            current = [*current, *piece]
            fresh += len(piece)
        if current and fresh:
            if out and _words(current) < self.MIN_WORDS and _words(out[-1]) + _words(current) <= 1.5 * self.max_words:
                out[-1] = [*out[-1], *current[len(current) - fresh:]]
            else:
                out.append(current)
        return [" ".join(sentences) for sentences in out]


def _words(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)


def _cut_words(sentence: str, limit: int) -> list[str]:
    words = sentence.split()
    if len(words) <= limit:
        return [sentence]
    return [" ".join(words[i:i + limit]) for i in range(0, len(words), limit)]
