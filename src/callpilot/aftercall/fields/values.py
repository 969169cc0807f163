"""Reading one field type's values out of a segment, normalised the way the result reports them.

Canonical forms: money ``"$1250.00"``; date ISO ``"2026-11-22"`` (relative dates counted from the call's day);
time 24-hour ``"14:30"``; weekday ``"Tuesday"``; number an int or float; boolean true/false; enum one of the
configured values; phone, email and address the placeholder of the redacted text plus the sealed raw value.

``loose`` readers also accept what is only a value in answer to a question ("two thirty" after "what time
works"), which said anywhere else would be noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz import fuzz

from callpilot.aftercall.fields.schema import PII_TYPES, FieldSpec, FieldType
from callpilot.aftercall.view import ViewSegment
from callpilot.analyzers.context.spoken_numbers import read_ordinal, read_quantity, tokenize
from callpilot.domain.analysis import FieldValue

__all__ = ["NO", "YES", "Candidate", "canonical_time", "read_values", "resolve_date"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAY = re.compile(rf"\b({'|'.join(_WEEKDAYS)})s?\b", re.IGNORECASE)
_HOUR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
               "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_MINUTE_WORDS = {"oh five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "forty five": 45, "fifty": 50, "o'clock": 0, "oclock": 0}
_LOOSE_TIME = re.compile(
    r"\b(?P<h>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"(?:[: ](?P<m>\d{2}|oh five|forty five|fifteen|thirty|forty|fifty|twenty|ten|o'?clock))?"
    r"(?:\s*(?P<ap>a\.?\s?m\.?|p\.?\s?m\.?|in the morning|in the afternoon|in the evening|at night))?\b", re.I)
YES = re.compile(r"^\W*(?:(?:uh|um|oh|well|okay|ok)\W+)*(?:yes|yeah|yep|yup|sure|definitely|absolutely|please do|"
                  r"correct|that's right|that is right|go ahead|sounds good|let's do|i'd like that|i would like)\b",
                  re.I)
NO = re.compile(r"^\W*(?:(?:uh|um|oh|well|okay|ok)\W+)*(?:no|nope|nah|not really|no thanks|no thank you|"
                 r"i'd rather not|i would rather not|don't|do not|let's not)\b", re.I)
_LEAD_IN = re.compile(
    r"^(?:(?:uh|um|er|yeah|yes|okay|ok|so|well|oh|right|sure|it's|it is|that's|that is|that'd be|that would be|"
    r"the|to|for|it goes to|it's going to|going to|it's for|it's to|payable to|pay|paying|i want to pay|"
    r"i'd like to pay|the payee is|the company is|name is|called|from|it's from|with)\b[\s,]*)+", re.I)
_TAIL = re.compile(r"[\s,.]*(?:please|thanks|thank you|i think|i guess|for me|right)?[\s,.!?]*$", re.I)
_NTH_AFTER = re.compile(r",?\s+(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)|(?:twenty |thirty )?(?:first|second|third|fourth|"
                        r"fifth|sixth|seventh|eighth|ninth)|tenth|eleventh|twelfth|[a-z]+teenth|twentieth|thirtieth)\b",
                        re.I)
_TODAY = re.compile(r"\btoday\b", re.I)
_NOT_A_NAME = re.compile(r"(?:my|our|your|his|her|their|this|that|it|i|we|let's|let)\b", re.I)
_DIGITS_OR_MONEY = re.compile(r"[\d$€£]|\b(?:hundred|thousand|dollars?)\b", re.I)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A value read from ``segment`` at ``start``..``end``; ``sealed`` for personal data."""

    value: FieldValue
    segment: int
    start: int
    end: int
    sealed: str | None = None


def read_values(spec: FieldSpec, seg: ViewSegment, *, call_date: date | None, loose: bool) -> list[Candidate]:
    reader = _READERS[spec.type]
    return reader(spec, seg, call_date, loose)


def _money(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    found = [Candidate(_canonical_money(e.value), seg.index, e.start, e.end)
             for e in seg.entities if e.type == "amount"]
    if found or not loose:
        return found
    # a bare quantity in answer to "how much": "two fifty"; single words ("one", "two") are rarely amounts
    return [Candidate(f"${float(v):.2f}", seg.index, s, e) for v, s, e in _quantities(seg.text) if v >= 10]


def _canonical_money(value: str) -> str:
    symbol, amount = value[0], value[1:].replace(",", "")
    return f"{symbol}{float(amount):.2f}"


def _quantities(text: str) -> list[tuple[float, int, int]]:
    tokens = tokenize(text)
    out, i = [], 0
    while i < len(tokens):
        read = read_quantity(tokens, i)
        if read is None:
            i += 1
            continue
        value, j = float(read[0]), read[1]
        # "two fifty", "twelve fifty" is how prices are said: 2 then 50 -> 250 (a read-back settles $12.50)
        if j < len(tokens) and value < 100 and (nxt := read_quantity(tokens, j)) is not None and 10 <= nxt[0] < 100 \
                and not tokens[j].text.isdigit() and not tokens[j - 1].text.isdigit():
            value, j = value * 100 + nxt[0], nxt[1]
            # "four ninety two fifty": dollars then cents
            if j < len(tokens) and (cents := read_quantity(tokens, j)) is not None and 10 <= cents[0] < 100 \
                    and not tokens[j].text.isdigit():
                value, j = value + cents[0] / 100, cents[1]
        if j < len(tokens) and tokens[j].text == "point" and (frac := read_quantity(tokens, j + 1)) is not None:
            value, j = float(f"{int(value)}.{frac[0]}"), frac[1]
        out.append((value, tokens[i].start, tokens[j - 1].end))
        i = j
    return out


def _number(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    if not loose:
        label = spec.label.split()[-1].rstrip("s")  # "number_of_lines" -> "line": "three lines"
        pattern = re.compile(rf"\b(\w+(?:\s\w+)?)\s+{re.escape(label)}s?\b", re.I)
        out = []
        for m in pattern.finditer(seg.text):
            quantities = _quantities(m.group(1))
            if quantities:
                out.append(Candidate(_int_or_float(quantities[-1][0]), seg.index, m.start(), m.end()))
        return out
    return [Candidate(_int_or_float(v), seg.index, s, e) for v, s, e in _quantities(seg.text)]


def _int_or_float(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _date(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    out = []
    for e in seg.entities:
        if e.type != "date":
            continue
        # "monday the fourteenth": the day of the month says which monday
        nth = _NTH_AFTER.match(seg.text, e.end) if e.value in _WEEKDAYS else None
        iso = resolve_date(f"the {nth.group(1)}", call_date) if nth else None
        if iso is None:
            iso = resolve_date(e.value, call_date)
        if iso is not None:
            out.append(Candidate(iso, seg.index, e.start, nth.end() if nth and iso else e.end))
    if loose and call_date is not None and (m := _TODAY.search(seg.text)):
        out.append(Candidate(call_date.isoformat(), seg.index, m.start(), m.end()))
        out.sort(key=lambda c: c.start)
    if not out and loose:
        for m in re.finditer(r"\b(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|[a-z]+teenth|"
                             r"twentieth|twenty\s+\w+|thirtieth|thirty\s+first)\b", seg.text, re.I):
            if (iso := resolve_date(f"the {m.group(1)}", call_date)) is not None:
                out.append(Candidate(iso, seg.index, m.start(), m.end()))
    return out


def resolve_date(said: str, today: date | None) -> str | None:
    """An ISO date for what the entity reader found: "2026-11-22", "11/22", "tomorrow", "next friday",
    "friday", "march 3", "march 3 2027", "the 5th". None when it names no single day ("next week")."""
    said = said.lower().strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", said):
        year, month, day = (int(p) for p in said.split("-"))
        return _iso(year, month, day)
    if today is None:
        return None
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", said):
        year = int(m.group(3)) if m.group(3) else today.year
        return _iso(year + 2000 if year < 100 else year, int(m.group(1)), int(m.group(2)))
    if said == "tomorrow":
        return (today + timedelta(days=1)).isoformat()
    if said in ("today", "tonight", "this morning", "this afternoon", "this evening"):
        return today.isoformat()
    if said == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    if m := re.fullmatch(rf"(?:(this|next|last|past) )?({'|'.join(_WEEKDAYS)})", said):
        return _weekday_date(today, _WEEKDAYS.index(m.group(2)), m.group(1)).isoformat()
    if m := re.fullmatch(rf"({'|'.join(_MONTHS)}) (\d{{1,2}})(?: (\d{{4}}))?", said):
        month, day = _MONTHS.index(m.group(1)) + 1, int(m.group(2))
        year = int(m.group(3)) if m.group(3) else _year_for(today, month, day)
        return _iso(year, month, day)
    if m := re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)", said):
        return _day_of_month(today, int(m.group(1)))
    if m := re.fullmatch(r"the (.+)", said):
        tokens = tokenize(m.group(1))
        read = read_ordinal(tokens, 0) if tokens else None
        if read is not None and read[1] == len(tokens):
            return _day_of_month(today, read[0])
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _weekday_date(today: date, weekday: int, modifier: str | None) -> date:
    if modifier in ("last", "past"):
        back = (today.weekday() - weekday) % 7 or 7
        return today - timedelta(days=back)
    ahead = (weekday - today.weekday()) % 7 or 7  # "friday" said on a friday means the next one
    return today + timedelta(days=ahead)


def _year_for(today: date, month: int, day: int) -> int:
    """A month and day without a year: this year, unless that was more than two months ago (then next year)."""
    try:
        this_year = date(today.year, month, day)
    except ValueError:
        return today.year
    return today.year + 1 if (today - this_year).days > 60 else today.year


def _day_of_month(today: date, day: int) -> str | None:
    if not 1 <= day <= 31:
        return None
    if day >= today.day:
        return _iso(today.year, today.month, day)
    month, year = (1, today.year + 1) if today.month == 12 else (today.month + 1, today.year)
    return _iso(year, month, day)


def _time(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    out = []
    for e in seg.entities:
        if e.type == "time" and (hhmm := canonical_time(e.value)) is not None:
            out.append(Candidate(hhmm, seg.index, e.start, e.end))
    if out or not loose:
        return out
    for m in _LOOSE_TIME.finditer(seg.text):
        said = m.group("h").lower()
        hour = int(said) if said.isdigit() else _HOUR_WORDS[said]
        minute_said = (m.group("m") or "").lower()
        minute = int(minute_said) if minute_said.isdigit() else _MINUTE_WORDS.get(minute_said, 0)
        if not 1 <= hour <= 12 or minute > 59:
            continue
        out.append(Candidate(_clock(hour, minute, m.group("ap")), seg.index, m.start(), m.end()))
    return out


def canonical_time(said: str) -> str | None:
    """"2:30 pm", "2 pm", "10 am", "noon", "4 o'clock" (as the entity reader writes them) -> "14:30"."""
    said = said.lower().strip()
    if said in ("noon", "midday"):
        return "12:00"
    if said == "midnight":
        return "00:00"
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|o'clock)?", said)
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 12 and m.group(3) in (None, "o'clock"):
        return f"{hour:02d}:{minute:02d}" if hour < 24 else None
    return _clock(hour, minute, None if m.group(3) == "o'clock" else m.group(3))


def _clock(hour: int, minute: int, ampm: str | None) -> str:
    """12-hour to 24-hour; without am/pm, business hours decide (1-6 is afternoon, 7-11 morning)."""
    part = (ampm or "").lower().replace(".", "").replace(" ", "")
    if part.startswith("p") or part in ("intheafternoon", "intheevening", "atnight"):
        hour = hour % 12 + 12
    elif part.startswith("a") or part == "inthemorning":
        hour = hour % 12
    elif 1 <= hour <= 6:
        hour += 12
    return f"{hour:02d}:{minute:02d}"


def _weekday(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    return [Candidate(m.group(1).capitalize(), seg.index, m.start(), m.end()) for m in _WEEKDAY.finditer(seg.text)]


def _enum(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    out = []
    lowered = seg.text.lower()
    for value in spec.values:
        m = re.search(rf"\b{re.escape(value.lower())}\b", lowered)
        if m is not None:
            out.append(Candidate(value, seg.index, m.start(), m.end()))
        elif loose and len(value) > 4 and fuzz.partial_ratio(value.lower(), lowered) >= 90:
            out.append(Candidate(value, seg.index, 0, len(seg.text)))
    return sorted(out, key=lambda c: c.start)


def _boolean(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    if not loose:
        return []
    if NO.search(seg.text):
        return [Candidate(False, seg.index, 0, len(seg.text))]
    if YES.search(seg.text):
        return [Candidate(True, seg.index, 0, len(seg.text))]
    return []


def _personal(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    wanted = PII_TYPES[spec.type]
    out = [Candidate(seg.text[v.start:v.end], seg.index, v.start, v.end, sealed=v.vault_ref)
           for v in seg.vaulted if v.type == wanted]
    if out:
        return out
    # a placeholder whose raw value the vault does not keep (vault_types excludes it): the value is flagged
    return [Candidate(seg.text[s:e], seg.index, s, e) for t, s, e in seg.placeholders() if t == wanted]


def _string(spec: FieldSpec, seg: ViewSegment, call_date: date | None, loose: bool) -> list[Candidate]:
    if not loose or NO.search(seg.text) and seg.words <= 4:
        return []
    text = re.split(r"[.,;]| but | and | so ", seg.text)[0]
    stripped = _LEAD_IN.sub("", text.strip())
    stripped = _TAIL.sub("", stripped).strip(" ,.")
    if not stripped or len(stripped.split()) > 6 or "[" in stripped or _DIGITS_OR_MONEY.search(stripped) \
            or _quantities(stripped) or _NOT_A_NAME.match(stripped) or YES.match(stripped) or NO.match(stripped):
        return []  # a number, a description ("my landlord") or a yes/no is no name
    start = max(seg.text.find(stripped), 0)
    end = start + len(stripped)
    if any(e.start < end and start < e.end for e in seg.entities):
        return []  # "next friday", "the checking account": a date, an amount, an account type is no name
    return [Candidate(_proper(stripped), seg.index, start, end)]


def _proper(text: str) -> str:
    return " ".join(w if any(c.isupper() for c in w) else w.capitalize() for w in text.split())


_READERS = {
    FieldType.MONEY: _money, FieldType.NUMBER: _number, FieldType.DATE: _date, FieldType.TIME: _time,
    FieldType.WEEKDAY: _weekday, FieldType.ENUM: _enum, FieldType.BOOLEAN: _boolean, FieldType.STRING: _string,
    FieldType.PHONE: _personal, FieldType.EMAIL: _personal, FieldType.ADDRESS: _personal,
}
