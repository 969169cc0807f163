"""Entities in a (redacted) segment: error codes, versions, order and ticket numbers, amounts, dates, times,
account types and product names, written ("error 0x80070005", "$84.99") or spoken ("error four oh one",
"two hundred dollars", "version five point two").

Rules rather than a model: these entities have fixed shapes, and a rule's span and value are exact. Text inside
PII placeholders ("[CARD_NUMBER]") is never read, so a value always comes from what the redactor let through.
Where two rules claim overlapping text the one listed first in ``_EXTRACTORS`` wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from callpilot.analyzers.context.spoken_numbers import Token, read_ordinal, read_quantity, tokenize
from callpilot.analyzers.pii.spoken import find_digit_runs
from callpilot.core.errors import ConfigError

__all__ = ["ENTITY_TYPES", "Entity", "EntityExtractor"]

ENTITY_TYPES = ("product", "error_code", "version", "order_number", "ticket_number", "invoice_number",
                "tracking_number", "amount", "date", "time", "account_type")


@dataclass(frozen=True, slots=True)
class Entity:
    """``value`` (normalised: digits for spoken numbers, "$200" for amounts) found at ``text[start:end]``."""

    type: str
    value: str
    start: int
    end: int


_I = re.IGNORECASE
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")

# -- error codes --------------------------------------------------------------------------------------------
_HEX_CODE = re.compile(r"\b0x[0-9a-f]{4,16}\b", _I)
_ERROR_KEYWORD = re.compile(r"\b(?:error|err|fault|status)(?:\s+(?:code|number|no|message))?\s*[:#]?\s*", _I)
_WRITTEN_CODE = re.compile(r"(?:0x[0-9a-f]+|[a-z]{0,4}-?\d{1,6}[a-z]?)\b", _I)
_PREFIXED_CODE = re.compile(r"\b(?:e|err)-?\d{3,5}\b", _I)
_CODE_THEN_ERROR = re.compile(r"\b(\d{3,5})\s+error\b", _I)

# -- versions -----------------------------------------------------------------------------------------------
_VERSION_KEYWORD = re.compile(r"\b(?:version|ver|release|firmware|build|v)\s*\.?\s*", _I)
_WRITTEN_VERSION = re.compile(r"\d+(?:\.\d+){0,3}[a-z]?\b", _I)
_DOTTED_VERSION = re.compile(r"\b\d+\.\d+\.\d+\b")
_POINT = {"point", "dot"}

# -- reference numbers --------------------------------------------------------------------------------------
_REFERENCE_TYPES = {"order": "order_number", "purchase": "order_number", "ticket": "ticket_number",
                    "case": "ticket_number", "incident": "ticket_number", "reference": "ticket_number",
                    "ref": "ticket_number", "claim": "ticket_number", "confirmation": "ticket_number",
                    "invoice": "invoice_number", "tracking": "tracking_number"}
_REFERENCE_KEYWORD = re.compile(
    rf"\b(?P<kw>{'|'.join(_REFERENCE_TYPES)})(?:\s+(?:number|no|num|id|code))?(?:\s+(?:is|was))?\s*[:#]?\s*", _I)
_WRITTEN_ID = re.compile(r"[a-z]{0,4}-?\d[a-z0-9\-]{2,24}\b", _I)

# -- amounts ------------------------------------------------------------------------------------------------
_CURRENCY = {"$": "$", "dollar": "$", "dollars": "$", "buck": "$", "bucks": "$", "usd": "$", "€": "€",
             "euro": "€", "euros": "€", "eur": "€", "£": "£", "pound": "£", "pounds": "£", "gbp": "£"}
_NUMBER = r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?"
_SYMBOL_AMOUNT = re.compile(rf"(?P<cur>[$€£])\s?{_NUMBER}(?:\s*(?P<scale>k|thousand|million)\b)?", _I)
_WORD_AMOUNT = re.compile(
    rf"\b{_NUMBER}\s*(?P<scale>k|thousand|million)?\s*(?P<cur>dollars?|bucks?|usd|euros?|eur|pounds?|gbp)\b", _I)
_SCALE = {"k": 1000, "thousand": 1000, "million": 1_000_000}
# Money said without a currency word, recognised by what precedes it: "a charge of eighty four ninety nine".
_MONEY_CUE = re.compile(r"\b(?:charges?|charged(?: me)?|paid|cost|costs|price|fee|refund|bill|total|balance)"
                        r"(?:\s+(?:of|was|is|for))?\s+", _I)
_PLAIN_NUMBER = re.compile(rf"{_NUMBER}\b(?!\.\d)")
_NOT_MONEY = {"times", "time", "days", "weeks", "months", "years", "minutes", "hours", "items", "of", "percent"}

# -- dates and times ----------------------------------------------------------------------------------------
# "today" is left out: agents say it in every greeting ("how can I help you today") and it tells a search nothing.
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMERIC_DATE = re.compile(r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)\b")
_RELATIVE_DATE = re.compile(
    rf"\b(?:the day before yesterday|yesterday|tomorrow|tonight|last night|this (?:morning|afternoon|evening)"
    rf"|(?:last|this|next|past) (?:week|month|year|weekend|{_WEEKDAYS})|(?:{_WEEKDAYS})"
    rf"|(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of|\d+) (?:day|week|month|year)s?"
    rf" ago)\b", _I)
_MONTH_CONTEXT = {"in", "since", "until", "last", "this", "next", "early", "late", "mid", "end", "of"}
_CLOCK_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>[ap])\.?\s?m\b\.?|\b(?P<h2>\d{1,2}):(?P<m2>\d{2})\b", _I)
_NAMED_TIME = re.compile(r"\b(?:noon|midday|midnight)\b", _I)
_HOURS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12}
_MINUTES = {"fifteen": 15, "thirty": 30, "forty": 40, "fifty": 50, "twenty": 20, "ten": 10}
_DAY_PARTS = {"morning": "am", "afternoon": "pm", "evening": "pm", "night": "pm"}

# -- account types ------------------------------------------------------------------------------------------
_ACCOUNT = re.compile(
    r"\b(?:(?P<card>credit|debit|prepaid|gift)\s+card"
    r"|(?P<kind>checking|chequing|savings|current|business|personal|joint|student|premium|basic|family"
    r"|enterprise|corporate|brokerage|retirement|investment)\s+(?P<noun>account|plan|membership|package|tier)"
    r"|(?P<loan>personal|car|auto|home|student|business)\s+loan|(?P<bare>checking|savings|mortgage|roth ira|ira))\b",
    _I)


class EntityExtractor:
    """Finds entities in one segment's text. ``products`` lists product names, or maps each name to aliases
    ("Acme Router X2": ["router x2", "x two router"]); matching ignores case and extra spaces."""

    def __init__(self, *, products: Sequence[str] | Mapping[str, Sequence[str]] = ()) -> None:
        self._products = _compile_products(products)

    def extract(self, text: str) -> list[Entity]:
        """Entities in order of position, no two overlapping."""
        masked = _PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), text)
        tokens = tokenize(masked)
        taken: list[Entity] = []
        for extractor in self._extractors():
            for found in extractor(masked, tokens):
                if found.value and not any(found.start < e.end and e.start < found.end for e in taken):
                    taken.append(found)
        return sorted(taken, key=lambda e: e.start)

    def _extractors(self) -> tuple[Callable[[str, list[Token]], Iterator[Entity]], ...]:
        return (self._product_names, _error_codes, _versions, _references, _amounts, _times, _dates, _accounts)

    def _product_names(self, text: str, tokens: list[Token]) -> Iterator[Entity]:
        if self._products is None:
            return
        pattern, canonical = self._products
        for m in pattern.finditer(text):
            yield Entity("product", canonical[_squash(m.group(0))], m.start(), m.end())


def _compile_products(products: Sequence[str] | Mapping[str, Sequence[str]]
                      ) -> tuple[re.Pattern[str], dict[str, str]] | None:
    pairs = ([(name, alias) for name, aliases in products.items() for alias in (name, *aliases)]
             if isinstance(products, Mapping) else [(name, name) for name in products])
    canonical: dict[str, str] = {}
    for name, alias in pairs:
        if not isinstance(name, str) or not isinstance(alias, str) or not alias.strip():
            raise ConfigError(f"context analyzer option products: bad product name {alias!r} (for {name!r})")
        canonical[_squash(alias)] = name.strip()
    if not canonical:
        return None
    alternatives = sorted(canonical, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(w) for w in alias.split()) for alias in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", _I), canonical


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def _error_codes(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _HEX_CODE.finditer(text):
        yield Entity("error_code", "0x" + m.group(0)[2:].upper(), m.start(), m.end())
    for m in _ERROR_KEYWORD.finditer(text):
        written = _WRITTEN_CODE.match(text, m.end())
        if written and any(c.isdigit() for c in written.group(0)):
            yield Entity("error_code", written.group(0).upper(), written.start(), written.end())
            continue
        run = _digits_at(text, m.end(), min_digits=2)
        if run is not None:
            yield Entity("error_code", run[0], run[1], run[2])
    for m in _PREFIXED_CODE.finditer(text):
        yield Entity("error_code", m.group(0).upper(), m.start(), m.end())
    for m in _CODE_THEN_ERROR.finditer(text):
        yield Entity("error_code", m.group(1), m.start(1), m.end(1))


def _digits_at(text: str, pos: int, *, min_digits: int) -> tuple[str, int, int] | None:
    """Spoken or written digits starting exactly at ``pos`` (e.g. "four oh one" -> "401")."""
    window = text[pos:pos + 160]
    runs = find_digit_runs(window)
    if not runs or runs[0].start != 0 or len(runs[0].digits) < min_digits:
        return None
    return runs[0].digits, pos + runs[0].start, pos + runs[0].end


def _versions(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _VERSION_KEYWORD.finditer(text):
        if m.group(0).strip().lower() == "v" and m.end() - m.start() > 2:
            continue  # "v" only counts written against the number: "v2.5", not "v 2"
        written = _WRITTEN_VERSION.match(text, m.end())
        if written:
            yield Entity("version", written.group(0).lower(), written.start(), written.end())
            continue
        spoken = _spoken_version(tokens, _token_at(tokens, m.end()))
        if spoken is not None:
            yield spoken
    for m in _DOTTED_VERSION.finditer(text):
        yield Entity("version", m.group(0), m.start(), m.end())


def _spoken_version(tokens: list[Token], i: int | None) -> Entity | None:
    """"five point two point one" -> 5.2.1, read from token ``i``."""
    if i is None:
        return None
    parts: list[str] = []
    j = i
    while j < len(tokens):
        read = read_quantity(tokens, j)
        if read is None or read[0] > 9999:
            break
        parts.append(str(read[0]))
        j = read[1]
        if j + 1 < len(tokens) and tokens[j].text in _POINT:
            j += 1
        else:
            break
    if not parts or (tokens[j - 1].text in _POINT):
        return None
    return Entity("version", ".".join(parts), tokens[i].start, tokens[j - 1].end)


def _token_at(tokens: list[Token], pos: int) -> int | None:
    return next((k for k, t in enumerate(tokens) if t.start == pos), None)


def _references(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _REFERENCE_KEYWORD.finditer(text):
        kind = _REFERENCE_TYPES[m.group("kw").lower()]
        written = _WRITTEN_ID.match(text, m.end())
        if written and sum(c.isdigit() for c in written.group(0)) >= 2:
            yield Entity(kind, written.group(0).upper(), written.start(), written.end())
            continue
        run = _digits_at(text, m.end(), min_digits=3)
        if run is not None:
            yield Entity(kind, run[0], run[1], run[2])


def _amounts(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for pattern in (_SYMBOL_AMOUNT, _WORD_AMOUNT):
        for m in pattern.finditer(text):
            value = _number(m) * _SCALE.get((m.group("scale") or "").lower(), 1)
            yield Entity("amount", _money(_CURRENCY[m.group("cur").lower()], value), m.start(), m.end())
    yield from _spoken_amounts(tokens)
    yield from _cued_amounts(text, tokens)


def _spoken_amounts(tokens: list[Token]) -> Iterator[Entity]:
    """"two hundred dollars", "eighty four dollars and ninety nine cents", "fifty cents"."""
    i = 0
    while i < len(tokens):
        read = read_quantity(tokens, i)
        if read is None or read[1] >= len(tokens):
            i += 1
            continue
        value, j = float(read[0]), read[1]
        unit = tokens[j].text
        if unit in ("cent", "cents"):
            yield Entity("amount", _money("$", value / 100), tokens[i].start, tokens[j].end)
        elif unit in _CURRENCY:
            end, cents = j, _cents_after(tokens, j + 1)
            if cents is not None:
                value, end = value + cents[0] / 100, cents[1] - 1
            yield Entity("amount", _money(_CURRENCY[unit], value), tokens[i].start, tokens[end].end)
        i = j


def _cued_amounts(text: str, tokens: list[Token]) -> Iterator[Entity]:
    """"charged me two hundred", "two charges of eighty four ninety nine" (dollars then cents)."""
    for m in _MONEY_CUE.finditer(text):
        written = _PLAIN_NUMBER.match(text, m.end())
        if written:
            nxt = text[written.end():].split(maxsplit=1)
            if not nxt or nxt[0].lower() not in _NOT_MONEY:
                yield Entity("amount", _money("$", _number(written)), written.start(), written.end())
            continue
        i = _token_at(tokens, m.end())
        read = read_quantity(tokens, i) if i is not None else None
        if i is None or read is None or read[0] == 0:
            continue
        value, j = float(read[0]), read[1]
        cents = read_quantity(tokens, j) if j < len(tokens) and read[0] < 1000 else None
        if cents is not None and 10 <= cents[0] < 100 and not tokens[j].text.isdigit():
            value, j = value + cents[0] / 100, cents[1]
        if j < len(tokens) and (tokens[j].text in _NOT_MONEY or tokens[j].text in _CURRENCY):
            continue  # "paid two times"; with a currency word the other rules have it
        yield Entity("amount", _money("$", value), tokens[i].start, tokens[j - 1].end)


def _cents_after(tokens: list[Token], i: int) -> tuple[int, int] | None:
    """"and ninety nine cents" or "ninety nine" right after the currency word: (cents, index after)."""
    if i < len(tokens) and tokens[i].text == "and":
        i += 1
    read = read_quantity(tokens, i) if i < len(tokens) else None
    if read is None or read[0] >= 100:
        return None
    if read[1] < len(tokens) and tokens[read[1]].text in ("cent", "cents"):
        return read[0], read[1] + 1
    return read if tokens[i - 1].text != "and" else None


def _number(m: re.Match[str]) -> float:
    cents = m.group("cents")
    return float(m.group("num").replace(",", "")) + (int(cents.ljust(2, "0")) / 100 if cents else 0.0)


def _money(symbol: str, value: float) -> str:
    return f"{symbol}{value:,.0f}" if round(value, 2) == int(value) else f"{symbol}{value:,.2f}"


def _times(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _CLOCK_TIME.finditer(text):
        hour, minute = m.group("h") or m.group("h2"), m.group("m") or m.group("m2")
        if int(hour) > 23 or (minute and int(minute) > 59):
            continue
        ampm = f" {m.group('ap').lower()}m" if m.group("ap") else ""
        yield Entity("time", f"{int(hour)}:{minute}{ampm}" if minute else f"{int(hour)}{ampm}", m.start(), m.end())
    for m in _NAMED_TIME.finditer(text):
        yield Entity("time", m.group(0).lower(), m.start(), m.end())
    for i, tok in enumerate(tokens):
        if tok.text in _HOURS:
            spoken = _spoken_time(tokens, i)
            if spoken is not None:
                yield spoken


def _spoken_time(tokens: list[Token], i: int) -> Entity | None:
    """"three pm", "three thirty p m", "ten in the morning", "four o'clock"; a bare "three" is no time."""
    hour, j, minute = _HOURS[tokens[i].text], i + 1, 0
    words = [t.text for t in tokens[j:j + 4]]
    if words[:1] == ["oh"] and len(words) > 1 and words[1] in _HOURS and _HOURS[words[1]] < 10:
        minute, j = _HOURS[words[1]], j + 2
    elif words[:1] and words[0] in _MINUTES:
        minute, j = _MINUTES[words[0]], j + 1
        if minute >= 20 and j < len(tokens) and tokens[j].text in _HOURS and _HOURS[tokens[j].text] < 10:
            minute, j = minute + _HOURS[tokens[j].text], j + 1
    rest = [t.text for t in tokens[j:j + 3]]
    if rest[:1] in (["am"], ["pm"]):
        suffix, end = rest[0], j
    elif len(rest) >= 2 and rest[0] in ("a", "p") and rest[1] == "m":
        suffix, end = rest[0] + "m", j + 1
    elif rest[:2] == ["o", "clock"]:
        suffix, end = "o'clock", j + 1
    elif len(rest) == 3 and rest[:2] == ["in", "the"] and rest[2] in _DAY_PARTS:
        suffix, end = _DAY_PARTS[rest[2]], j + 2
    else:
        return None
    value = f"{hour}:{minute:02d}" if minute else f"{hour}"
    return Entity("time", f"{value} {suffix}".strip(), tokens[i].start, tokens[end].end)


def _dates(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _NUMERIC_DATE.finditer(text):
        yield Entity("date", m.group(0), m.start(), m.end())
    for m in _RELATIVE_DATE.finditer(text):
        yield Entity("date", " ".join(m.group(0).lower().split()), m.start(), m.end())
    for i, tok in enumerate(tokens):
        if tok.text in _MONTHS:
            found = _month_date(tokens, i)
            if found is not None:
                yield found
        elif tok.text == "the" and i > 0 and tokens[i - 1].text == "on":
            found = _day_of_month(tokens, i)
            if found is not None:
                yield found


def _day_of_month(tokens: list[Token], i: int) -> Entity | None:
    """"on the fifth", "on the 21st" (not "on the 5": a bare number after "the" is rarely a date)."""
    day = read_ordinal(tokens, i + 1) if i + 1 < len(tokens) else None
    if day is None or not 1 <= day[0] <= 31 or (tokens[i + 1].text.isdigit() and day[1] != i + 3):
        return None
    if day[1] + 1 < len(tokens) and tokens[day[1]].text == "of" and tokens[day[1] + 1].text in _MONTHS:
        return None  # "the fifth of june" is the month rule's
    return Entity("date", f"the {_ordinal(day[0])}", tokens[i].start, tokens[day[1] - 1].end)


def _month_date(tokens: list[Token], i: int) -> Entity | None:
    """"march third", "march 3rd 2024", "the fifth of june", "in january" (a month alone needs such a cue)."""
    month = tokens[i].text
    after = i + 2 if i + 2 < len(tokens) and tokens[i + 1].text == "the" else i + 1
    day = read_ordinal(tokens, after) if after < len(tokens) else None
    if day is not None and 1 <= day[0] <= 31:
        end = day[1]
        year = ""
        if end < len(tokens) and tokens[end].text.isdigit() and len(tokens[end].text) == 4:
            year, end = f" {tokens[end].text}", end + 1
        return Entity("date", f"{month} {day[0]}{year}", tokens[i].start, tokens[end - 1].end)
    if i >= 3 and tokens[i - 1].text == "of" and tokens[i - 3].text == "the":
        before = read_ordinal(tokens, i - 2)
        if before is not None and before[1] == i - 1 and 1 <= before[0] <= 31:
            return Entity("date", f"{month} {before[0]}", tokens[i - 3].start, tokens[i].end)
    if month != "may" and i > 0 and tokens[i - 1].text in _MONTH_CONTEXT:
        return Entity("date", month, tokens[i].start, tokens[i].end)
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _accounts(text: str, tokens: list[Token]) -> Iterator[Entity]:
    for m in _ACCOUNT.finditer(text):
        if m.group("card"):
            value = f"{m.group('card').lower()} card"
        elif m.group("kind"):
            value = f"{m.group('kind').lower()} {m.group('noun').lower()}"
        elif m.group("loan"):
            value = f"{m.group('loan').lower()} loan"
        else:
            bare = m.group("bare").lower()
            value = f"{bare} account" if bare in ("checking", "savings") else bare
        yield Entity("account_type", value, m.start(), m.end())
