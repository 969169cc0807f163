"""Action items: the commitments said in the call ("I'll send you a new card", "you'll receive a refund
within 5 business days", "a technician will come out tomorrow"), with who owes them and when they are due.

Rules over the (redacted) segments: a commitment pattern names the owner from who speaks and the subject
("I'll" from the agent is the agent's; "you'll need to" from the agent is the customer's; "our billing team
will" is the team's), the due date comes from the same sentence, and the text is the speaker's own words turned
into the call's roles. Every item cites its segment.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from callpilot.aftercall.text import compress, sentences, third_person
from callpilot.aftercall.view import CallView
from callpilot.domain.analysis import ActionItem

__all__ = ["ActionItemFinder"]

Owner = Literal["agent", "customer", "team"]
_VERBS = (r"send|email|mail|text|call|ring|schedule|book|process|escalate|refund|credit|reverse|waive|file|open|"
          r"create|submit|transfer|follow up|reach out|check|look into|investigate|cancel|update|change|set up|"
          r"activate|ship|order|replace|issue|mail out|get back|forward|confirm|note|add|remove|reset|review|"
          r"arrange|dispatch|expedite|reissue|apply|upload|bring|return|pay|sign|visit|come out|install|fix")
_DUE = re.compile(
    r"\b(?:within (?:the next )?(?:\w+ )?(?:\w+ )?(?:business |working )?(?:days?|hours?|weeks?|minutes?)"
    r"|in (?:the next )?(?:\w+ )?(?:\w+ )?(?:business |working )?(?:days?|hours?|weeks?|minutes?)"
    r"|by (?:the )?(?:end of (?:the )?(?:day|week|month)|tomorrow|tonight|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|next \w+|[a-z]+ \d{1,2}(?:st|nd|rd|th)?)"
    r"|tomorrow(?: morning| afternoon| evening)?|today|tonight|later today|this (?:afternoon|evening|week)"
    r"|next (?:week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b", re.I)


class ActionItemFinder:
    """``PATTERNS``: (speaker, regex, owner); the first that matches a sentence decides its owner."""

    PATTERNS: ClassVar[tuple[tuple[str, str, Owner], ...]] = (
        # the team or a third party the agent commits the company to
        ("agent", rf"\b(?:our|the) (?:\w+ )?(?:team|department|technician|tech|specialist|supervisor|manager|"
                  rf"courier|crew)s? (?:will|is going to|'ll|should) (?:\w+ )?(?:{_VERBS})\b", "team"),
        ("agent", rf"\b(?:a|the|our) (?:\w+ )?(?:technician|tech|specialist|supervisor|manager|plumber|"
                  rf"electrician|courier)s? (?:will|is going to|can) (?:\w+ )?(?:{_VERBS})\b", "team"),
        ("agent", r"\b(?:someone|somebody) (?:will|is going to|from) \w+", "team"),
        ("agent", r"\byou(?:'ll| will| should) (?:\w+ )?(?:receive|get|see)\b", "team"),
        # the agent's own commitments
        ("agent", rf"\b(?:i'll|i will|i'm going to|i am going to|we'll|we will|we're going to|let me) "
                  rf"(?:\w+ )?(?:{_VERBS})\b", "agent"),
        ("agent", r"\b(?:i've|i have|we've|we have) (?:gone ahead and )?(?:scheduled|booked|set up|submitted|"
                  r"opened|filed)\b", "agent"),
        # what the agent asks the customer to do
        ("agent", rf"\b(?:you'll need to|you will need to|you need to|you should|please|make sure to|"
                  rf"you'll want to|go ahead and) (?:\w+ )?(?:{_VERBS}|keep|watch|look|log in|sign in|restart|"
                  rf"unplug|try)\b", "customer"),
        # the customer's own commitments
        ("customer", rf"\b(?:i'll|i will|i'm going to|i am going to|i need to|let me) (?:\w+ )?(?:{_VERBS}|"
                     rf"talk to|ask|think about|try|look)\b", "customer"),
    )
    NOT_COMMITMENTS: ClassVar[str] = (r"\b(?:let me (?:see|just|pull|bring up|look that up|check that for)|"
                                      r"i'll be happy|i'll be glad|if you(?:'d| would) like|do you want me to|"
                                      r"would you like me to|can i|could i|i'll need|is there anything)\b")

    def __init__(self, *, max_items: int = 8) -> None:
        self.max_items = max_items
        self._patterns = [(s, re.compile(p, re.I), o) for s, p, o in self.PATTERNS]
        self._not = re.compile(self.NOT_COMMITMENTS, re.I)

    def find(self, view: CallView) -> list[ActionItem]:
        items: list[ActionItem] = []
        seen: set[str] = set()
        for seg in view.segments:
            for sentence in sentences(seg.text):
                item = self._item(sentence, seg.speaker, seg.index)
                if item is None:
                    continue
                key = " ".join(item.text.lower().split()[:6])
                if key not in seen:
                    seen.add(key)
                    items.append(item)
        return items[-self.max_items:]

    def _item(self, sentence: str, speaker: str, index: int) -> ActionItem | None:
        if self._not.search(sentence):
            return None
        for who, pattern, owner in self._patterns:
            if who != speaker:
                continue
            m = pattern.search(sentence)
            if m is None:
                continue
            due = _DUE.search(sentence, m.start())
            clause = compress(sentence[m.start():])
            text = third_person(clause, speaker)
            text = text[0].upper() + text[1:] if text else text
            if len(text.split()) < 3:
                return None
            return ActionItem(text=_trim(text), owner=owner, due=due.group(0) if due else None, segments=[index])
        return None


def _trim(text: str, words: int = 24) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
