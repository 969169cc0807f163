"""What the knowledge base holds: documents (an article, a page, an FAQ row) and the chunks retrieval ranks."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DOC_ID_PATTERN", "KB_NAME_PATTERN", "Chunk", "Document", "Section", "valid_kb_name"]

DOC_ID_PATTERN = r"^[^\s].{0,254}$"
KB_NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
_KB_NAME = re.compile(KB_NAME_PATTERN)


class Section(BaseModel):
    """A heading and the paragraphs under it, as a loader found them (``level`` 0: no heading)."""

    model_config = ConfigDict(frozen=True)

    heading: str | None
    level: int = 0
    paragraphs: tuple[str, ...]


class Document(BaseModel):
    """One retrievable unit: results are distinct documents, and ``doc_id`` is what callers see as ``id``.

    ``doc_id`` is the FAQ row's ``id`` column, the id given through the API, or else the file's path relative
    to the ingested folder. ``source`` is where an agent can read the original (a path or URL).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str = Field(pattern=DOC_ID_PATTERN)
    title: str = Field(min_length=1, max_length=500)
    source: str | None = Field(None, max_length=2000)
    product: str | None = Field(None, max_length=200)
    section: str | None = Field(None, max_length=200)
    kind: str = Field("article", description="article or faq")
    metadata: dict[str, Any] = Field(default_factory=dict)
    sections: tuple[Section, ...]

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return " ".join(value.split())

    @property
    def text(self) -> str:
        parts: list[str] = []
        for section in self.sections:
            if section.heading:
                parts.append(section.heading)
            parts.extend(section.paragraphs)
        return "\n\n".join(parts)


class Chunk(BaseModel):
    """A passage of a document: what BM25 and the embeddings see. ``heading`` is the section's heading path."""

    model_config = ConfigDict(frozen=True)

    ordinal: int
    heading: str | None
    text: str

    def search_text(self, title: str) -> str:
        """Title and heading in front of the passage, so that a chunk deep in an article still matches on what
        the article is about."""
        head = title if not self.heading or self.heading == title else f"{title}: {self.heading}"
        return f"{head}\n{self.text}"


def valid_kb_name(name: str) -> bool:
    return bool(_KB_NAME.match(name))
