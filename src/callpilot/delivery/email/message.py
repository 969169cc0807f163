"""The summary email to the agent (level 1 of the after-call notes): the call's three bullets, disposition and
next steps, and a link to the transcript, as plain text and HTML.

The analysis is already redacted and personal field values are vault tokens, so nothing personal is in the
message; fields are not listed (they go to the CRM). ``message_id`` makes a resent message (after a crash
between sending and recording) recognisable as the same one.
"""

from __future__ import annotations

from email.message import EmailMessage
from html import escape
from typing import Any

__all__ = ["compose_summary_email"]


def compose_summary_email(analysis: dict[str, Any], *, call_id: str, sender: str, to: str,
                          transcript_url: str, message_id: str | None = None) -> EmailMessage:
    """A plain-text and HTML message from an analysis (``CallAnalysis`` as JSON)."""
    disposition = analysis["disposition"]["value"]
    intent = analysis["intent"]["name"].replace("_", " ")
    bullets = list(analysis["summary"]["bullets"])
    actions = [f"{a['text']} ({a['owner']}{', ' + a['due'] if a.get('due') else ''})"
               for a in analysis.get("action_items", [])]
    message = EmailMessage()
    message["Subject"] = f"Call {call_id}: {disposition}" + (f" - {intent}" if intent != "other" else "")
    message["From"], message["To"] = sender, to
    if message_id is not None:
        message["Message-ID"] = message_id
    text = ["Your call's wrap-up:", "", *(f"- {b}" for b in bullets), "", f"Disposition: {disposition}",
            f"Resolution: {analysis['resolution'].replace('_', ' ')}"]
    if actions:
        text += ["", "Next steps:", *(f"- {a}" for a in actions)]
    text += ["", f"Transcript: {transcript_url}"]
    message.set_content("\n".join(text))
    items = "".join(f"<li>{escape(b)}</li>" for b in bullets)
    steps = "".join(f"<li>{escape(a)}</li>" for a in actions)
    message.add_alternative(
        f"<p>Your call's wrap-up:</p><ul>{items}</ul><p>Disposition: <b>{escape(disposition)}</b>, "
        f"{escape(analysis['resolution'].replace('_', ' '))}</p>"
        + (f"<p>Next steps:</p><ul>{steps}</ul>" if steps else "")
        + f'<p><a href="{escape(transcript_url, quote=True)}">Transcript</a></p>', subtype="html")
    return message
