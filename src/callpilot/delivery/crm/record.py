"""From the outbox's payloads (``call_analyzed``, ``callback_scheduled``, sealed variant) to what a CRM
connector writes: a subject, a plain-text body, the fields' values with the personal ones opened from the vault,
and this CRM's customer record from the lookup at call start."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callpilot.analyzers.pii.vault import Vault
from callpilot.delivery.crm.base import Callback, WrapUp

__all__ = ["callback_from", "wrapup_from"]


def wrapup_from(data: dict[str, Any], *, key: str, crm: str, vault: Vault) -> WrapUp:
    analysis = data["analysis"]
    intent = analysis["intent"]["name"]
    disposition = analysis["disposition"]["value"]
    lines = [*(f"- {b}" for b in analysis["summary"]["bullets"]), "",
             f"Disposition: {disposition}", f"Resolution: {analysis['resolution'].replace('_', ' ')}"]
    if actions := analysis.get("action_items"):
        lines += ["", "Next steps:", *(f"- {a['text']} ({a['owner']}{', ' + a['due'] if a.get('due') else ''})"
                                        for a in actions)]
    lines += ["", f"callpilot call {data['call_id']}, revision {data['revision']}"]
    customer = data.get("customer") or {}
    return WrapUp(
        key=key, call_id=data["call_id"], subject=_subject(intent, disposition), body="\n".join(lines),
        disposition=disposition, intent=intent, resolution=analysis["resolution"],
        fields=_field_values(analysis.get("fields") or {}, vault), agent_id=data.get("agent_id"),
        duration_seconds=data.get("duration_seconds"),
        customer_record_id=((customer.get("crm") or {}).get(crm) or {}).get("record_id"),
        customer_phone=_open(customer.get("phone_sealed"), vault))


def callback_from(data: dict[str, Any], *, key: str, crm: str, vault: Vault) -> Callback:
    customer = data.get("customer") or {}
    return Callback(
        key=key, call_id=data["call_id"], due_at=datetime.fromisoformat(data["due_at"]),
        subject="Call back the customer", body=f"{data['reason']}\n\ncallpilot call {data['call_id']}",
        priority=data.get("priority", "high"), agent_id=data.get("agent_id"),
        customer_record_id=((customer.get("crm") or {}).get(crm) or {}).get("record_id"),
        customer_phone=_open(customer.get("phone_sealed"), vault))


def _subject(intent: str, disposition: str) -> str:
    topic = intent.replace("_", " ")
    return f"Call: {topic} ({disposition.replace('_', ' ')})" if topic != "other" else f"Call ({disposition})"


def _field_values(fields: dict[str, Any], vault: Vault) -> dict[str, Any]:
    """name -> value for the fields that have one; a personal value is opened from its seal."""
    values: dict[str, Any] = {}
    for name, result in fields.items():
        value = _open(result.get("sealed"), vault) if result.get("sealed") else result.get("value")
        if value is not None:
            values[name] = value
    return values


def _open(sealed: str | None, vault: Vault) -> str | None:
    return vault.open(sealed) if sealed else None
