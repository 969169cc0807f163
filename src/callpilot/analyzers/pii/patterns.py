"""Recognizers for personal data that is not a bare number: emails (written and spelled), IBANs, dates of
birth, street addresses and postcodes, letter-by-letter spellings, and names.

Each recognizer is a function ``(text, ...) -> list[Found]``. They are regular expressions and token scans
written for spoken, lower-case, unpunctuated transcripts; Presidio's recognizers target written text and miss
these forms, which is why they are not reused here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from callpilot.analyzers.pii.cues import CueBook
from callpilot.analyzers.pii.entities import EntityType, Found
from callpilot.analyzers.pii.spoken import DigitRun

__all__ = ["find_addresses", "find_dates", "find_emails", "find_ibans", "find_names", "find_spellings"]

E = EntityType
_I = re.IGNORECASE

# -- emails ---------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TLDS = ("com|net|org|edu|gov|io|co|uk|us|ca|de|fr|es|mx|info|biz|me|ie|au|in")
# Spoken: "john dot smith at gmail dot com", "j o h n underscore s at yahoo dot co dot uk".
_PART = r"[a-z0-9]+(?:\s[a-z0-9])*"  # a word, or letters spelled one by one
_JOIN = r"\s(?:dot|period|underscore|dash|hyphen|minus|plus)\s"
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w']){_PART}(?:{_JOIN}{_PART})*\s(?:at|@)\s{_PART}(?:\s[a-z0-9]+)?(?:\s(?:dot|period)\s{_PART})*"
    rf"\s(?:dot|period)\s(?:{_TLDS})\b",
    _I,
)
_EMAIL_LEAD = re.compile(r"^(?:(?:my|the|email|e-mail|address|is|it's|its|it|is|at|and|yes|so|uh|um|sure)\s)+", _I)


def find_emails(text: str) -> list[Found]:
    found = [Found(E.EMAIL, m.start(), m.end(), 0.95, "email") for m in _EMAIL.finditer(text)]
    for m in _SPOKEN_EMAIL.finditer(text):
        lead = _EMAIL_LEAD.match(m.group(0))  # the pattern's first word may be "is" in "my email is john at ..."
        start = _local_part_start(text, m.start() + (lead.end() if lead else 0))
        if start < m.end():
            found.append(Found(E.EMAIL, start, m.end(), 0.9, "spoken_email"))
    return found


# Words that end a spoken email's local part when reading back from " at ": "it's m reyes eighty eight at ..."
_BEFORE_EMAIL = frozenset({
    "it's", "its", "it", "is", "my", "the", "email", "e-mail", "address", "sure", "yes", "yeah", "yep", "um", "uh",
    "so", "and", "that's", "thats", "to", "send", "me", "at", "was", "use", "try", "okay", "ok", "oh", "well",
})
_LOCAL_WORD = re.compile(r"([a-z0-9']+)\s+$", _I)
_MAX_LOCAL_WORDS = 4


def _local_part_start(text: str, start: int) -> int:
    """Where the local part really starts: the pattern takes one word (or spelled letters) before "at", but
    callers say several ("m reyes eighty eight at example dot org", "j p marsh all together at ..."). Up to
    four more words are taken back to the first lead-in word ("it's", "email", ...)."""
    for _ in range(_MAX_LOCAL_WORDS):
        m = _LOCAL_WORD.search(text, 0, start)
        if m is None or m.group(1).lower() in _BEFORE_EMAIL:
            break
        start = m.start()
    return start


# -- IBAN -----------------------------------------------------------------------------------------------------
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", _I)


def _iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def find_ibans(text: str) -> list[Found]:
    found = []
    for m in _IBAN.finditer(text):
        value = m.group(0).rstrip()
        # the pattern may swallow a following word's letters; trim back until the checksum holds
        while len(value.replace(" ", "")) >= 15:
            if _iban_valid(value):
                found.append(Found(E.IBAN, m.start(), m.start() + len(value), 0.95, "iban"))
                break
            value = value[:-1].rstrip()
    return found


# -- dates of birth -------------------------------------------------------------------------------------------
_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
          r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)")
_ORDINAL_WORD = (r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
                 r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
                 r"thirtieth|(?:twenty|thirty)[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))")
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD}|(?:twenty|thirty)?[\s-]?(?:one|two|three|four|five|six|seven|eight|nine)|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty)"  # noqa: E501
_YEAR_WORDS = (r"(?:nineteen|twenty)\s(?:oh\s\w+|hundred|(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
               r"seventeen|eighteen|nineteen)|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]"
               r"(?:one|two|three|four|five|six|seven|eight|nine))?)|two\sthousand(?:\sand)?(?:\s\w+){0,2}")
_TWO_DIGIT_YEAR = (r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|"
                   r"six|seven|eight|nine))?|oh\s(?:one|two|three|four|five|six|seven|eight|nine)")
_YEAR = rf"(?:\d{{4}}|'?\d{{2}}|{_YEAR_WORDS}|{_TWO_DIGIT_YEAR})"
_DATE_MDY = rf"{_MONTH}\.?\s(?:the\s)?{_DAY},?\s(?:of\s)?{_YEAR}"
_DATE_DMY = rf"(?:the\s)?{_DAY}\s(?:of\s)?{_MONTH},?\s{_YEAR}"
_DATE_NUMERIC = (r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"
                 r"|\d{1,2}(?:st|nd|rd|th)?\s(?:of\s)?(?:the\s)?\d{1,2}(?:st|nd|rd|th)?,?\s\d{4}")
_DATE = re.compile(rf"\b(?:{_DATE_MDY}|{_DATE_DMY}|{_DATE_NUMERIC})\b", _I)


def find_dates(text: str, *, birth_context: bool, cues: CueBook) -> list[Found]:
    """Full dates; only dates of birth are personal data, so a date counts when a birth cue is near."""
    found = []
    for m in _DATE.finditer(text):
        cue = cues.nearest(text, m.start(), window=12)
        if birth_context or (cue is not None and cue.type is E.DATE_OF_BIRTH):
            found.append(Found(E.DATE_OF_BIRTH, m.start(), m.end(), 0.85, "date_of_birth"))
    return found


# -- addresses ------------------------------------------------------------------------------------------------
_SUFFIX = (r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
           r"circle|parkway|pkwy|highway|hwy|close|crescent|square|trail|calle|avenida)")
_UNIT = r"(?:\s(?:apartment|apt|unit|suite|flat|number|#)\.?\s?(?:[a-z]\b|\d+\s?[a-z]?\b|[a-z]+\s[a-z]\b|\w+))?"
_STREET_AFTER_NUMBER = re.compile(rf"\s(?:[a-z']+\s){{0,3}}?{_SUFFIX}\b\.?{_UNIT}", _I)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", _I)
_US_ZIP_AFTER_STATE = re.compile(r"\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b")


def find_addresses(text: str, runs: list[DigitRun]) -> list[Found]:
    """A house number followed by up to three words and a street type ("221 baker street", "one two three main
    street apartment four b"), and written postcodes."""
    found = []
    for run in runs:
        m = _STREET_AFTER_NUMBER.match(text, run.end)
        if m:
            found.append(Found(E.ADDRESS, run.start, m.end(), 0.85, "street_address"))
    for m in _UK_POSTCODE.finditer(text):
        if any(ch.isdigit() for ch in m.group(0)) and any(ch.isalpha() for ch in m.group(0)[:2]):
            found.append(Found(E.ADDRESS, m.start(), m.end(), 0.7, "postcode"))
    found.extend(Found(E.ADDRESS, m.start() + 3, m.end(), 0.6, "zip") for m in _US_ZIP_AFTER_STATE.finditer(text))
    return found


# -- letter-by-letter spellings -------------------------------------------------------------------------------
_NATO = ("alpha|alfa|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|juliett|kilo|lima|mike|november|"
         "oscar|papa|quebec|romeo|sierra|tango|uniform|victor|whiskey|whisky|xray|x-ray|yankee|zulu")
_DIGIT_WORD = "zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple"
# One spelled symbol: a letter, "x for xavier" / "x as in xavier", a NATO word, a digit or digit word.
_SYMBOL = (rf"(?:[a-z](?:\s(?:for|as\sin|like)\s[a-z]+)?|{_NATO}|\d{{1,3}}|{_DIGIT_WORD}"
           r"|[a-z]\d[a-z\d]?|\d[a-z]\d?)")
_SPELLING = re.compile(rf"(?<![\w'])(?:{_SYMBOL})(?:[\s,.-]+(?:{_SYMBOL}))+(?![\w'])", _I)
_NATO_WORD = re.compile(rf"^(?:{_NATO})$", _I)
_ID_TYPES = frozenset({E.ADDRESS, E.PASSPORT, E.DRIVER_LICENSE})
_COMMON_SINGLE = frozenset({"a", "i"})


def find_spellings(text: str, *, cue_type: EntityType | None, cues: CueBook) -> list[Found]:
    """Runs of three or more spelled symbols ("s m i t h", "t for tommy q 6 r", "tango foxtrot 699"), or two
    when a postcode or an id was asked for ("s1k 8y"). Their type comes from the context (a name, a postcode,
    a passport, ...); a spelling with no context is taken for a name. Codes after a safe cue ("model x one
    two three", "error code e one oh four") are left alone."""
    found = []
    for m in _SPELLING.finditer(text):
        tokens = [t for t in re.split(r"[\s,.-]+", m.group(0).lower()) if t]
        letters = [t for t in tokens if (len(t) == 1 and t.isalpha()) or _NATO_WORD.match(t)]
        mixed = [t for t in tokens if len(t) > 1 and any(c.isdigit() for c in t) and any(c.isalpha() for c in t)]
        digits = [t for t in tokens if t.isdigit() or re.fullmatch(_DIGIT_WORD, t)]
        symbols = len(letters) + len(digits) + len(mixed)
        needed = 2 if cue_type in _ID_TYPES and (mixed or (letters and digits)) else 3
        if symbols < needed or all(t in _COMMON_SINGLE for t in letters) and not digits and not mixed:
            continue
        if not letters and not mixed:
            continue  # digits only: the number recognizers judge those
        cue = cues.nearest(text, m.start(), window=4)
        if cue is not None and cue.type is None:
            continue
        if set(letters) <= {"a", "p", "m"} and re.search(r"[ap]\W*m$", m.group(0), _I):
            continue  # "two p m": a time
        entity_type = cue_type or (E.NUMBER if digits else E.PERSON)
        found.append(Found(entity_type, m.start(), m.end(), 0.75, "spelling"))
    return found


# -- names ----------------------------------------------------------------------------------------------------
_NAME_CUE = re.compile(
    r"\b(?:my\s(?:full\s|first\s|last\s)?name\s(?:is|was|'s)|name's|name(?:\s(?:is|was))?|(?:first|last)\sname\s(?:is\s)?|surname\s(?:is\s)?"
    r"|speaking\swith|talking\sto|spoke\swith|spoke\sto|mr|mrs|ms|miss|dr|me\sllamo|mi\snombre\ses)"
    r"\.?\s+([a-z][a-z'-]+)(?:\s+([a-z][a-z'-]+))?",
    _I,
)

# "this is dana from ..." introduces a name; "this is ridiculous, ..." does not: the word after must end the
# clause or lead into the rest of an introduction.
_INTRO = re.compile(
    r"\bthis\sis\s+([a-z][a-z'-]+)(?:\s+([a-z][a-z'-]+))?"
    r"(?=\s*(?:[,.!?]|$|\s(?:from|with|at|speaking|calling|here|on|over|how)\b))",
    _I,
)


def find_names(text: str, names: Iterable[str] = (), *, not_names: frozenset[str],
               opinion_words: frozenset[str] = frozenset()) -> list[Found]:
    """Names from the call's metadata wherever they occur, and names after a cue ("my name is ...")."""
    found = []
    for name in names:
        for token in set(re.findall(r"[\w'-]{2,}", name.lower())):
            if token in not_names:
                continue
            for m in re.finditer(rf"(?<![\w]){re.escape(token)}(?:'s)?(?![\w])", text, _I):
                found.append(Found(E.PERSON, m.start(), m.end(), 0.95, "metadata_name"))
    for m, skip in [*((m, not_names) for m in _NAME_CUE.finditer(text)),
                    *((m, not_names | opinion_words) for m in _INTRO.finditer(text))]:
        first, second = m.group(1), m.group(2)
        if first.lower() in skip:
            continue
        end = m.end(2) if second and second.lower() not in skip else m.end(1)
        found.append(Found(E.PERSON, m.start(1), end, 0.7, "name_cue"))
    return found
