"""Knowledge-base articles over HTTP: list the bases, list/add/update/delete articles, search.

Articles are Markdown (headings make sections, as in ingested .md files). The store is synchronous, so every
call runs in a worker thread and the event loop keeps serving live calls.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from callpilot.api.deps import Caller, get_caller
from callpilot.assist.kb.documents import DOC_ID_PATTERN, Document
from callpilot.assist.kb.loaders import document_from_markdown

__all__ = ["router"]

router = APIRouter(prefix="/v1/kb", tags=["knowledge base"])


class ArticleIn(BaseModel):
    model_config = {"extra": "forbid"}

    id: str | None = Field(None, pattern=DOC_ID_PATTERN, description="document id; generated when absent")
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=1_000_000, description="the article, in Markdown")
    source: str | None = Field(None, max_length=2000, description="where agents can read the original")
    product: str | None = Field(None, max_length=200)
    section: str | None = Field(None, max_length=200)


class ArticleUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=1_000_000)
    source: str | None = Field(None, max_length=2000)
    product: str | None = Field(None, max_length=200)
    section: str | None = Field(None, max_length=200)


def _article(document: Document, origin: str) -> dict[str, Any]:
    return {"id": document.doc_id, "title": document.title, "source": document.source, "product": document.product,
            "section": document.section, "kind": document.kind, "origin": origin, "text": document.text}


def _parse(doc_id: str, body: ArticleIn | ArticleUpdate) -> Document:
    return document_from_markdown(body.body, doc_id=doc_id, title=body.title, source=body.source or doc_id,
                                  product=body.product, section=body.section)


@router.get("")
async def list_kbs(caller: Caller = Depends(get_caller)) -> list[dict[str, Any]]:
    infos = await asyncio.to_thread(caller.runtime.knowledge.store.list_kbs)
    return [{"name": i.name, "documents": i.documents, "chunks": i.chunks, "files": i.files, "revision": i.revision,
             "updated_at": i.updated_at.isoformat()} for i in infos]


@router.get("/{kb}/articles")
async def list_articles(kb: str, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                        caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    rows, total = await asyncio.to_thread(caller.runtime.knowledge.store.list_documents, kb, limit=limit,
                                          offset=offset)
    return {"total": total, "articles": [_article(d, o) for d, o in rows]}


@router.post("/{kb}/articles", status_code=201)
async def add_article(kb: str, body: ArticleIn, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    """Add an article; 422 when its id is taken (use PUT to replace) or the knowledge-base name is bad."""
    document = _parse(body.id or f"art_{uuid.uuid4().hex[:12]}", body)
    await asyncio.to_thread(caller.runtime.knowledge.put_document, kb, document, create_only=True)
    return _article(document, "api")


@router.get("/{kb}/articles/{doc_id:path}")
async def get_article(kb: str, doc_id: str, caller: Caller = Depends(get_caller)) -> dict[str, Any]:
    document, origin = await asyncio.to_thread(caller.runtime.knowledge.store.get_document, kb, doc_id)
    return _article(document, origin)


@router.put("/{kb}/articles/{doc_id:path}")
async def put_article(kb: str, doc_id: str, body: ArticleUpdate, caller: Caller = Depends(get_caller)
                      ) -> JSONResponse:
    """Replace an article (or create it under this id): 200 when replaced, 201 when created."""
    document = _parse(doc_id, body)
    created = await asyncio.to_thread(caller.runtime.knowledge.put_document, kb, document)
    return JSONResponse(_article(document, "api"), status_code=201 if created else 200)


@router.delete("/{kb}/articles/{doc_id:path}", status_code=204)
async def delete_article(kb: str, doc_id: str, caller: Caller = Depends(get_caller)) -> Response:
    await asyncio.to_thread(caller.runtime.knowledge.delete_document, kb, doc_id)
    return Response(status_code=204)


@router.get("/{kb}/search")
async def search(kb: str, q: str = Query(min_length=1, max_length=2000), k: int = Query(5, ge=1, le=50),
                 mode: Literal["hybrid", "bm25", "dense"] = "hybrid", caller: Caller = Depends(get_caller)
                 ) -> dict[str, Any]:
    """Distinct documents, best first, each with the answering sentence at ``highlight`` in ``snippet``."""
    hits = await asyncio.to_thread(caller.runtime.knowledge.search, kb, [q], k=k, mode=mode)
    return {"results": [h.to_json() for h in hits]}
