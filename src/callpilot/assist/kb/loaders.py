"""File -> documents, one reader per format. Each raises KnowledgeBaseError with the reason a person can act on.

Markdown is parsed with markdown-it-py, HTML with BeautifulSoup, PDF with pypdf; plain text and the FAQ tables
(CSV, JSON, JSON lines with ``question``, ``answer`` and optional ``id``, ``title``, ``product``, ``section``,
``url``) need nothing more than the standard library.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from callpilot.assist.kb.documents import Document, Section
from callpilot.core.errors import KnowledgeBaseError

__all__ = ["FAQ_SUFFIXES", "LOADERS", "document_from_markdown", "load_file", "supported"]

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?)])")  # get_text(" ") puts a space at every inline tag
_MAX_BAD_ROWS = 5
FAQ_SUFFIXES = (".csv", ".json", ".jsonl")


def supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def load_file(path: Path, *, doc_id: str, section: str | None, max_bytes: int) -> list[Document]:
    """The documents in one file. ``doc_id`` names a single-document file (its path under the ingested folder);
    FAQ tables give one document per row, named by the row's ``id``."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise KnowledgeBaseError(f"unsupported file type {path.suffix or '(none)'!r}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise KnowledgeBaseError(f"file is {size:,} bytes; the limit is {max_bytes:,} (kb max_file_bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read file: {exc.strerror or exc}") from exc
    if not data.strip():
        raise KnowledgeBaseError("empty file: nothing to ingest")
    documents = loader(data, _Context(path=path, doc_id=doc_id, section=section))
    if not documents:
        raise KnowledgeBaseError("no text found in the file")
    return documents


def document_from_markdown(text: str, *, doc_id: str, title: str | None = None, **fields: Any) -> Document:
    """An article given as Markdown (the API's article body), chunked like an ingested .md file."""
    ctx = _Context(path=Path(doc_id), doc_id=doc_id, section=fields.pop("section", None))
    if not text.strip():
        raise KnowledgeBaseError("the article body is empty")
    documents = _load_markdown(text.encode(), ctx, title=title, overrides=fields)
    if not documents:
        raise KnowledgeBaseError("the article body has no text")
    return documents[0]


class _Context:
    def __init__(self, *, path: Path, doc_id: str, section: str | None) -> None:
        self.path, self.doc_id, self.section = path, doc_id, section

    def document(self, title: str | None, sections: Sequence[Section], **fields: Any) -> Document | None:
        sections = [s for s in sections if s.paragraphs or s.heading]
        if not any(s.paragraphs for s in sections):
            return None
        meta = {k: v for k, v in fields.items() if v is not None}
        try:
            return Document(doc_id=str(meta.pop("doc_id", self.doc_id)), title=title or _title_from_name(self.path),
                            source=meta.pop("source", None) or self.doc_id, section=meta.pop("section", self.section),
                            product=meta.pop("product", None), kind=meta.pop("kind", "article"), metadata=meta,
                            sections=tuple(sections))
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise KnowledgeBaseError(f"bad document fields: {problem}") from None


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.name


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise KnowledgeBaseError("binary data, not a text file (it holds NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}): save "
                                 "the file as UTF-8") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * min(len(text), 8192):
        raise KnowledgeBaseError("binary data, not a text file (too many control characters)")
    return text


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p for p in (_clean(part.replace("\n", " ")) for part in _BLANK_LINES.split(text)) if p)


# -- plain text ---------------------------------------------------------------------------------------------
def _load_text(data: bytes, ctx: _Context) -> list[Document]:
    paragraphs = _paragraphs(_decode(data))
    title = None
    if paragraphs and len(paragraphs[0]) <= 120 and len(paragraphs) > 1:
        title, paragraphs = paragraphs[0], paragraphs[1:]
    doc = ctx.document(title, [Section(heading=None, paragraphs=paragraphs)])
    return [doc] if doc else []


# -- Markdown -----------------------------------------------------------------------------------------------
def _load_markdown(data: bytes, ctx: _Context, *, title: str | None = None,
                   overrides: dict[str, Any] | None = None) -> list[Document]:
    from markdown_it import MarkdownIt

    text = _decode(data)
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise KnowledgeBaseError(f"front matter is not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise KnowledgeBaseError("front matter must be a mapping (title:, id:, product:, section:, url:)")
        meta, text = loaded, text[match.end():]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    sections: list[Section] = []
    heading: str | None = None
    level = 0
    paragraphs: list[str] = []
    title = title or meta.get("title")
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        content = _inline_text(token)
        if not content:
            continue
        opener = tokens[i - 1] if i else None
        if opener is not None and opener.type == "heading_open":
            if paragraphs or heading:
                sections.append(Section(heading=heading, level=level, paragraphs=tuple(paragraphs)))
            level = int(opener.tag[1])
            heading, paragraphs = content, []
            if title is None and level == 1:
                title, heading = content, None
        elif _inside(tokens, i, "list_item_open"):
            paragraphs.append(f"- {content}")
        else:
            paragraphs.append(content)
    sections.append(Section(heading=heading, level=level, paragraphs=tuple(paragraphs)))
    fields = {"doc_id": meta.get("id"), "source": meta.get("url") or meta.get("source"),
              "product": meta.get("product"), "section": meta.get("section")}
    fields.update({k: v for k, v in (overrides or {}).items() if v is not None})
    doc = ctx.document(str(title) if title else None, _merge_list_items(sections), **fields)
    return [doc] if doc else []


def _inline_text(token: Any) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return _clean("".join(parts))


def _inside(tokens: Sequence[Any], index: int, opener: str) -> bool:
    """Whether the inline token at ``index`` belongs to an open ``opener`` block (a list item)."""
    depth = 0
    closer = opener.replace("_open", "_close")
    for token in reversed(tokens[:index]):
        if token.type == closer:
            depth += 1
        elif token.type == opener:
            if depth == 0:
                return True
            depth -= 1
    return False


def _merge_list_items(sections: Iterable[Section]) -> list[Section]:
    """Consecutive list items read as one paragraph: a list of steps is one answer, not many."""
    merged = []
    for section in sections:
        out: list[str] = []
        for paragraph in section.paragraphs:
            if paragraph.startswith("- ") and out and out[-1].startswith("- "):
                out[-1] = f"{out[-1]}\n{paragraph}"
            else:
                out.append(paragraph)
        merged.append(section.model_copy(update={"paragraphs": tuple(out)}))
    return merged


# -- HTML ---------------------------------------------------------------------------------------------------
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "th", "dt", "dd", "blockquote")


def _load_html(data: bytes, ctx: _Context) -> list[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    for junk in soup(["script", "style", "nav", "footer", "noscript", "template", "header", "aside"]):
        junk.decompose()
    title_tag = soup.find("title")
    title = _clean(title_tag.get_text(" ")) if title_tag else None
    canonical = soup.find("link", rel="canonical")
    source = canonical.get("href") if canonical is not None else None
    sections: list[Section] = []
    heading: str | None = None
    level = 0
    paragraphs: list[str] = []
    for element in soup.find_all(_HTML_BLOCKS):
        if element.find_parent(_HTML_BLOCKS) is not None:
            continue  # its text is part of the enclosing block's
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", _clean(element.get_text(" ")))
        if not text:
            continue
        if element.name[0] == "h" and element.name[1:].isdigit():
            if paragraphs or heading:
                sections.append(Section(heading=heading, level=level, paragraphs=tuple(paragraphs)))
            heading, level, paragraphs = text, int(element.name[1]), []
            if title is None and level == 1:
                title, heading = text, None
        else:
            paragraphs.append(f"- {text}" if element.name == "li" else text)
    sections.append(Section(heading=heading, level=level, paragraphs=tuple(paragraphs)))
    if not any(s.paragraphs for s in sections):  # a page of bare text without block tags
        body = soup.body or soup
        sections = [Section(heading=None, paragraphs=_paragraphs(body.get_text("\n\n")))]
    doc = ctx.document(title, _merge_list_items(sections), source=str(source) if source else None)
    return [doc] if doc else []


# -- PDF ----------------------------------------------------------------------------------------------------
def _load_pdf(data: bytes, ctx: _Context) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise KnowledgeBaseError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:  # pypdf raises these on damaged files
        raise KnowledgeBaseError(f"not a readable PDF: {exc}") from None
    sections = [Section(heading=None, paragraphs=_pdf_paragraphs(text)) for text in pages]
    if not any(s.paragraphs for s in sections):
        raise KnowledgeBaseError(f"the PDF has no extractable text ({len(pages)} pages; scanned images need OCR)")
    title = str(info.title).strip() if info is not None and info.title else None
    doc = ctx.document(title, sections, pages=len(pages))
    return [doc] if doc else []


def _pdf_paragraphs(text: str) -> tuple[str, ...]:
    paragraphs = _paragraphs(text)
    if len(paragraphs) == 1 and text.count("\n") > 8:
        # PDF text often has a line break per printed line and no blank lines: a line ending a sentence ends
        # a paragraph.
        paragraphs = _paragraphs(re.sub(r"([.!?:])\n", r"\1\n\n", text))
    return paragraphs


# -- FAQ tables ---------------------------------------------------------------------------------------------
_FAQ_FIELDS = ("id", "question", "answer", "title", "product", "section", "url", "source")


def _load_csv(data: bytes, ctx: _Context) -> list[Document]:
    text = _decode(data)
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in reader.fieldnames or []]
        rows = [{(k or "").strip().lower(): (v or "") for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise KnowledgeBaseError(f"not a valid CSV file: {exc}") from None
    _require_columns(header)
    return _faq_documents(rows, ctx, first_row=2)  # row 1 is the header


def _load_json(data: bytes, ctx: _Context) -> list[Document]:
    text = _decode(data)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if isinstance(loaded, dict):
        lists = [v for k, v in loaded.items() if k in ("faqs", "faq", "items", "data", "rows") and isinstance(v, list)]
        if not lists:
            raise KnowledgeBaseError('expected a list of {"question", "answer", "id"} objects, or an object with '
                                     'a "faqs" list')
        loaded = lists[0]
    if not isinstance(loaded, list):
        raise KnowledgeBaseError('expected a list of {"question", "answer", "id"} objects')
    return _faq_rows(loaded, ctx, first_row=1)


def _load_jsonl(data: bytes, ctx: _Context) -> list[Document]:
    rows: list[Any] = []
    for number, line in enumerate(_decode(data).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise KnowledgeBaseError(f"line {number} is not valid JSON: {exc.msg}") from None
    return _faq_rows(rows, ctx, first_row=1)


def _faq_rows(rows: list[Any], ctx: _Context, *, first_row: int) -> list[Document]:
    bad = [first_row + i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if bad:
        raise KnowledgeBaseError(f"rows {_few(bad)} are not objects")
    normalized = [{str(k).strip().lower(): v for k, v in row.items()} for row in rows]
    _require_columns({k for row in normalized for k in row})
    return _faq_documents(normalized, ctx, first_row=first_row)


def _require_columns(columns: Iterable[str]) -> None:
    missing = [c for c in ("question", "answer") if c not in set(columns)]
    if missing:
        raise KnowledgeBaseError(f"an FAQ table needs the columns question and answer; missing: {', '.join(missing)}")


def _faq_documents(rows: list[dict[str, Any]], ctx: _Context, *, first_row: int) -> list[Document]:
    documents: list[Document] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        number = first_row + offset
        values = {k: _cell(row.get(k)) for k in _FAQ_FIELDS}
        if not values["question"] or not values["answer"]:
            problems.append(f"row {number}: empty {'question' if not values['question'] else 'answer'}")
            continue
        doc_id = values["id"] or f"{ctx.doc_id}#{number}"
        if doc_id in seen:
            problems.append(f"row {number}: duplicate id {doc_id!r} (also row {seen[doc_id]})")
            continue
        seen[doc_id] = number
        try:
            documents.append(Document(
                doc_id=doc_id, title=values["title"] or values["question"], kind="faq",
                source=values["url"] or values["source"] or f"{ctx.doc_id}#{number}",
                product=values["product"], section=values["section"] or ctx.section,
                metadata={"question": values["question"]},
                sections=(Section(heading=None, paragraphs=_paragraphs(values["answer"] or "")),),
            ))
        except ValidationError as exc:
            problems.append(f"row {number}: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors()))
    if problems:
        more = f" (and {len(problems) - _MAX_BAD_ROWS} more)" if len(problems) > _MAX_BAD_ROWS else ""
        raise KnowledgeBaseError("; ".join(problems[:_MAX_BAD_ROWS]) + more + "; nothing of this file was stored")
    return documents


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise KnowledgeBaseError(f"FAQ cells must be text, got {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _few(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:_MAX_BAD_ROWS])) + (" ..." if len(numbers) > _MAX_BAD_ROWS else "")


LOADERS: dict[str, Callable[[bytes, _Context], list[Document]]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".text": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".csv": _load_csv,
    ".json": _load_json,
    ".jsonl": _load_jsonl,
}
