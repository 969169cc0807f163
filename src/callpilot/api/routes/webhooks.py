"""Webhook registration and the delivery log (``/v1/webhooks``). Deliveries are signed per the Standard
Webhooks specification with the secret returned once at creation; see docs/delivery.md."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from callpilot.api.deps import Caller, get_caller
from callpilot.delivery.webhooks.service import NewWebhook, WebhookService, WebhookView

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _service(caller: Caller) -> WebhookService:
    return caller.runtime.webhooks


@router.post("", response_model=WebhookView, status_code=201)
async def create_webhook(body: NewWebhook, caller: Caller = Depends(get_caller)) -> JSONResponse:
    """Register a receiver; the answer holds its signing secret, shown this once."""
    view = await _service(caller).create(body)
    return JSONResponse(view.model_dump(mode="json"), status_code=201)


@router.get("", response_model=list[WebhookView])
async def list_webhooks(caller: Caller = Depends(get_caller)) -> list[WebhookView]:
    return await _service(caller).list_all()


@router.get("/{webhook_id}", response_model=WebhookView)
async def get_webhook(webhook_id: str, caller: Caller = Depends(get_caller)) -> WebhookView:
    return await _service(caller).get(webhook_id)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, caller: Caller = Depends(get_caller)) -> Response:
    """Its pending deliveries become dead letters (kept in the log)."""
    await _service(caller).delete(webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/enable", response_model=WebhookView)
async def enable_webhook(webhook_id: str, caller: Caller = Depends(get_caller)) -> WebhookView:
    return await _service(caller).set_enabled(webhook_id, True)


@router.post("/{webhook_id}/disable", response_model=WebhookView)
async def disable_webhook(webhook_id: str, caller: Caller = Depends(get_caller)) -> WebhookView:
    return await _service(caller).set_enabled(webhook_id, False)


@router.post("/{webhook_id}/test", status_code=202)
async def test_webhook(webhook_id: str, caller: Caller = Depends(get_caller)) -> JSONResponse:
    """Queue a ``test`` event for this receiver; follow it in the delivery log."""
    return JSONResponse({"msg_id": await _service(caller).send_test(webhook_id)}, status_code=202)


@router.get("/{webhook_id}/deliveries")
async def webhook_deliveries(webhook_id: str, status: Literal["pending", "delivered", "dead"] | None = Query(None),
                             limit: int = Query(100, ge=1, le=1000), caller: Caller = Depends(get_caller)
                             ) -> list[dict[str, Any]]:
    """The delivery log, newest first; ``status=dead`` is the dead-letter list."""
    return await _service(caller).deliveries(webhook_id, status=status, limit=limit)


@router.post("/deliveries/{msg_id}/redeliver", status_code=202)
async def redeliver(msg_id: str, caller: Caller = Depends(get_caller)) -> JSONResponse:
    """A dead letter back in the queue, due now."""
    await _service(caller).redeliver(msg_id)
    return JSONResponse({"msg_id": msg_id, "status": "pending"}, status_code=202)
