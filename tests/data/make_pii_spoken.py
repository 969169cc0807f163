"""Writes pii_spoken.jsonl: callpilot's PII test set of call-transcript utterances with exact entity spans.

Run from the repository root: `python tests/data/make_pii_spoken.py`. Entities are marked inline as
[[TYPE|words]]; the marks are removed and their offsets recorded, so every span is exact by construction.
Spoken forms of numbers are generated from the digit strings, so a Luhn-valid test card stays Luhn-valid when
read out ("oh", "double five", pairs). All values are synthetic: test card numbers, SSNs 123-45-xxxx,
555-01xx and Ofcom drama phone numbers, example IBANs, invented names and addresses.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).with_name("pii_spoken.jsonl")
_MARK = re.compile(r"\[\[([A-Z_]+)\|(.*?)\]\]")
_RNG = random.Random(20261122)

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINALS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth", "twenty first", "twenty second", "twenty third",
            "twenty fourth", "twenty fifth", "twenty sixth", "twenty seventh", "twenty eighth", "twenty ninth",
            "thirtieth", "thirty first"]
MONTHS = ["", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]


def m(kind: str, words: str) -> str:
    """Marks ``words`` as an entity of type ``kind``."""
    return f"[[{kind}|{words}]]"


def digits(s: str, *, zero: str = "zero", doubles: bool = False, groups: tuple[int, ...] = (), sep: str = " "
           ) -> str:
    """Digit by digit: "4111" -> "four one one one"; doubles: "double five", "triple seven"."""
    chunks, i = [], 0
    for size in groups or (len(s),):
        chunks.append(s[i:i + size])
        i += size
    if i < len(s):
        chunks.append(s[i:])
    return sep.join(_say_chunk(c, zero, doubles) for c in chunks if c)


def _say_chunk(s: str, zero: str, doubles: bool) -> str:
    words, i = [], 0
    while i < len(s):
        run = 1
        while i + run < len(s) and s[i + run] == s[i] and run < 4:
            run += 1
        word = zero if s[i] == "0" else UNITS[int(s[i])]
        if doubles and run >= 2:  # four alike are said "double one double one"
            words.append({2: "double ", 3: "triple "}.get(run, f"double {word} double ") + word)
        else:
            run = 1
            words.append(word)
        i += run
    return " ".join(words)


def pair(p: str) -> str:
    """A two-digit group as said: "41" forty one, "11" eleven, "05" oh five, "00" double oh, "20" twenty."""
    a, b = int(p[0]), int(p[1])
    if a == 0:
        return "double oh" if b == 0 else f"oh {UNITS[b]}"
    if a == 1:
        return TEENS[b]
    return TENS[a] if b == 0 else f"{TENS[a]} {UNITS[b]}"


def pairs(s: str, sep: str = " ") -> str:
    return sep.join(pair(s[i:i + 2]) for i in range(0, len(s), 2))


def mixed(s: str) -> str:
    """Digits as an engine writes a dictation it half recognised: "4 one 1 1"."""
    return " ".join(c if _RNG.random() < 0.5 else UNITS[int(c)] for c in s)


def year(y: int) -> str:
    if 2000 <= y < 2010:
        return "two thousand" + ("" if y == 2000 else f" {UNITS[y - 2000]}")
    hi, lo = divmod(y, 100)
    return f"{pair(str(hi))} " + ("hundred" if lo == 0 else pair(f"{lo:02d}"))


def grouped(s: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(s[i:i + size] for i in range(0, len(s), size))


def routing(prefix: str) -> str:
    """An ABA routing number with a valid check digit (weights 3 7 1)."""
    w = [3, 7, 1, 3, 7, 1, 3, 7]
    total = sum(int(c) * k for c, k in zip(prefix, w, strict=True))
    return prefix + str((10 - total % 10) % 10)


def spell(word: str) -> str:
    return " ".join(word)


CARDS = ["4111111111111111", "5555555555554444", "4012888888881881", "4242424242424242", "5105105105105100",
         "6011111111111117", "4000056655665556", "5200828282828210", "6011000990139424", "3530111333300000"]
AMEX = ["378282246310005", "371449635398431"]


def card_lines() -> list[tuple[str | None, str]]:
    ask = ["can i have the card number please", "what's the long number on the front of the card",
           "go ahead with the card number when you're ready", None]
    forms = [
        lambda c: digits(c),
        lambda c: digits(c, groups=(4, 4, 4, 4)),
        lambda c: digits(c, zero="oh", groups=(4, 4, 4, 4), sep=", "),
        lambda c: digits(c, doubles=True, groups=(4, 4, 4, 4)),
        lambda c: pairs(c),
        lambda c: " ".join(pairs(c[i:i + 4]) for i in range(0, 16, 4)),
        lambda c: mixed(c),
        lambda c: grouped(c),
        lambda c: grouped(c, sep="-"),
        lambda c: c,
    ]
    frames = ["it's {}", "yeah sure it's {}", "okay the number is {}", "{}", "um {} and that's it",
              "sure so {}", "my card number is {}", "ok it is {} did you get that", "the visa is {}",
              "let me read it {}"]
    out: list[tuple[str | None, str]] = []
    for i, card in enumerate(CARDS * 3):
        turn = i // len(CARDS)  # each pass over the cards shifts the forms, so no line repeats
        form = forms[(i + 3 * turn) % len(forms)]
        frame = frames[(i * 3 + turn) % len(frames)]
        out.append((ask[i % len(ask)], frame.format(m("CARD_NUMBER", form(card)))))
    out += [
        ("and the card number", f"it's an amex {m('CARD_NUMBER', digits(AMEX[0], groups=(4, 6, 5)))}"),
        ("card number please", f"{m('CARD_NUMBER', grouped(AMEX[1][:4]) + ' ' + AMEX[1][4:10] + ' ' + AMEX[1][10:])}"),
        (None, f"i want to pay with my card {m('CARD_NUMBER', digits('5555555555554444', zero='oh', doubles=True))}"),
        ("can you read me the card number",
         f"{m('CARD_NUMBER', 'four one one one')} sorry let me start again "
         f"{m('CARD_NUMBER', digits('4111111111111111', groups=(4,) * 4))}"),
        (None, f"so that's {m('CARD_NUMBER', digits('4242424242424242', groups=(4,) * 4))} is that right"),
        (None, f"my debit card {m('CARD_NUMBER', pairs('4000056655665556'))} got declined"),
    ]
    return out


def expiry_cvv_lines() -> list[tuple[str | None, str]]:
    exp = [("what's the expiry date", "it's {}", "oh four twenty seven"),
           ("and the expiration date", "{}", "twelve twenty eight"),
           ("expiry date on the card", "expires {}", "oh nine slash twenty nine"),
           ("what is the expiration", "{}", "04/27"),
           ("and when does it expire", "it expires {}", "march twenty twenty eight"),
           ("expiry", "um {} i think", "zero six two six"),
           ("can i get the expiration date", "yeah it's {}", "eleven thirty"),
           ("and the expiry date please", "{}", "oh one slash two nine"),
           (None, "the expiry is {}", "oh eight twenty seven"),
           ("expiration month and year", "{}", "july twenty seven"),
           ("expiry date", "it says valid thru {}", "10/28"),
           ("and the expiration date", "it's {} sorry", "oh five twenty six")]
    cvv = [("and the three digit security code on the back", "{}", "seven three seven"),
           ("can i have the cvv", "it's {}", "one two three"),
           ("and the security code", "uh {}", "four oh two"),
           ("last thing the three digits on the back of the card", "{}", "nine eight one"),
           ("the cvv please", "{}", "double four six"),
           ("and the four digit code on the front since it's amex", "{}", "one two three four"),
           (None, "the security code is {}", "five five one"),
           ("what's the cvc", "that's {}", "zero seven nine"),
           ("three digit code", "{}", "864"),
           ("and the code on the back", "okay it's {}", "three one four")]
    out = [(c, f.format(m("CARD_EXPIRY", v))) for c, f, v in exp]
    out += [(c, f.format(m("CVV", v))) for c, f, v in cvv]
    c1, c2 = digits("4111111111111111", groups=(4,) * 4), digits("5555555555554444", zero="oh", groups=(4,) * 4)
    out += [
        ("can i take the card details please", f"sure the number is {m('CARD_NUMBER', c1)} expiry "
         f"{m('CARD_EXPIRY', 'oh four twenty seven')} and the code on the back is {m('CVV', 'one two three')}"),
        (None, f"card {m('CARD_NUMBER', c2)} expires {m('CARD_EXPIRY', 'twelve twenty six')} "
         f"security code {m('CVV', 'seven seven one')}"),
        ("expiry and cvv please", f"{m('CARD_EXPIRY', 'oh two twenty nine')} and {m('CVV', 'four five six')}"),
    ]
    return out


SSNS = ["123456789", "123450987", "123451234", "123457788", "123453344", "123459001", "123452468", "123456655"]


def ssn_lines() -> list[tuple[str | None, str]]:
    ask = ["can you verify your social security number", "and your social please", "what's your ssn",
           "i'll need the social security number on the account"]
    out: list[tuple[str | None, str]] = []
    for i, s in enumerate(SSNS):
        forms = [digits(s), f"{s[:3]}-{s[3:5]}-{s[5:]}", digits(s, groups=(3, 2, 4), sep=", "),
                 digits(s, zero="oh", doubles=True, groups=(3, 2, 4)),
                 f"{pairs(s[:2])} {UNITS[int(s[2])]} {pairs(s[3:5])} {pairs(s[5:])}", f"{s[:3]} {s[3:5]} {s[5:]}",
                 mixed(s), s]
        out.append((ask[i % len(ask)], f"{['sure', 'yes', 'ok', 'it is'][i % 4]} {m('SSN', forms[i % len(forms)])}"))
    out += [
        ("for verification can i have the last four of your social", f"{m('SSN', 'six seven eight nine')}"),
        ("last four of the social", f"it's {m('SSN', 'oh nine eight seven')}"),
        (None, f"my social is {m('SSN', digits('123454321', groups=(3, 2, 4)))}"),
        (None, f"social security number {m('SSN', '123-45-6789')} and date of birth "
         f"{m('DATE_OF_BIRTH', 'march fourteenth nineteen eighty five')}"),
        ("and your ssn", f"um i think it's {m('SSN', 'one two three four five')} uh "
         f"{m('SSN', 'six seven eight nine')}"),
        ("social security number please", f"{m('SSN', 'one twenty three forty five sixty seven eighty nine')}"),
    ]
    return out


def phone_lines() -> list[tuple[str | None, str]]:
    us = ["5550123456", "5550198765", "5550142020", "5550177001", "5550100999", "5550163333"]
    ask = ["what's the best number to reach you", "can i get a callback number", "phone number on the account",
           None]
    frames = ["it's {}", "{}", "you can call me at {}", "my cell is {}", "sure {}", "the number is {} thanks"]
    out: list[tuple[str | None, str]] = []
    for i, p in enumerate(us * 2):
        forms = [digits(p, groups=(3, 3, 4)), digits(p, zero="oh", groups=(3, 3, 4), sep=", "),
                 f"({p[:3]}) {p[3:6]}-{p[6:]}", f"{p[:3]}-{p[3:6]}-{p[6:]}", f"{p[:3]} {p[3:6]} {p[6:]}",
                 f"{digits(p[:3])} {digits(p[3:6], zero='oh')} {pairs(p[6:])}", digits(p, doubles=True, zero="oh"),
                 "1 " + f"{p[:3]} {p[3:6]} {p[6:]}", f"one {digits(p, groups=(3, 3, 4))}", mixed(p), p,
                 f"area code {digits(p[:3])} then {digits(p[3:], zero='oh')}"]
        out.append((ask[i % len(ask)], frames[i % len(frames)].format(m("PHONE_NUMBER", forms[i]))))
    out += [
        ("contact number", f"it's a uk number {m('PHONE_NUMBER', '+44 20 7946 0958')}"),
        ("best number for you", f"{m('PHONE_NUMBER', 'plus four four two oh seven nine four six oh nine five eight')}"),
        (None, f"my mobile is {m('PHONE_NUMBER', 'oh seven seven oh oh nine double oh one two three')}"),
        ("phone number please", f"{m('PHONE_NUMBER', '07700 900123')}"),
        ("and a number we can text",
         f"{m('PHONE_NUMBER', 'plus four four seven seven double oh nine double oh four five six')}"),
        (None, f"call me back on {m('PHONE_NUMBER', '+1 555 010 4477')} please"),
        ("phone", f"it's {m('PHONE_NUMBER', 'plus one five five five oh one two three four five six')}"),
        ("what number should we use", f"{m('PHONE_NUMBER', 'oh two oh seven nine four six oh double one one')}"),
        (None, f"you can reach my husband on {m('PHONE_NUMBER', '555.014.8822')}"),
        ("and a daytime number", f"work number is {m('PHONE_NUMBER', '(555) 012-3499')} extension four four two"),
        ("is the one ending in two two still the best number",
         f"no it changed to {m('PHONE_NUMBER', digits('5550161212', groups=(3, 3, 4)))}"),
        ("what's a good callback number", f"{m('PHONE_NUMBER', 'five five five oh one nine')} uh "
         f"{m('PHONE_NUMBER', 'three four double two')}"),
    ]
    return out


def email_lines() -> list[tuple[str | None, str]]:
    e = [("what's your email address", "it's {}", "john dot smith at gmail dot com"),
         ("email on file", "{}", "maria.gonzalez85@yahoo.com"),
         ("can i get an email for the receipt", "sure {}", "j o h n at example dot com"),
         ("what email should we send it to", "{}", "priya underscore r at outlook dot com"),
         (None, "my email is {}", "wei.zhang@example.org"),
         ("and the email address", "it's {} all one word", "kellysiobhan at hotmail dot com"),
         ("email please", "{}", "t dot nguyen at icloud dot com"),
         ("what's the email on the account", "um it's {} i think", "olu dash adeyemi at gmail dot com"),
         (None, "send it to {}", "d.okafor@protonmail.com"),
         ("can you spell the email", "sure it's {}", "m a r k o at yahoo dot co dot uk"),
         ("email address", "{}", "r hernandez seventy two at gmail dot com"),
         ("and your email", "{} with two l's", "ellie.walsh@gmail.com"),
         (None, "my work email is {}", "jsmith at acme corp dot com"),
         ("email", "it's {}", "s m i t h dot j at aol dot com"),
         ("what's the best email", "{}", "anna underscore b nineteen ninety at gmail dot com"),
         ("email address for the ticket", "{}", "carlos.mendes@example.net"),
         ("and the email", "it's {}", "fatima dot k at gmail dot com"),
         ("email please", "ok {} got it", "b e n at f a s t mail dot com")]
    return [(c, f.format(m("EMAIL", v))) for c, f, v in e]


def bank_lines() -> list[tuple[str | None, str]]:
    r1, r2, r3 = routing("12100035"), routing("02100002"), routing("12345678")
    a = [("what's the account number you'd like to link", "{}", digits("000123456789", zero="oh")),
         ("can i have your checking account number", "it's {}", digits("9876543210", groups=(3, 3, 4))),
         ("account number please", "{}", "4455667788"),
         ("and the account number", "sure {}", digits("12345678")),
         (None, "my savings account number is {}", digits("55012348765", doubles=True, zero="oh")),
         ("what account should the refund go to", "account {}", "0012 3456 7890"),
         ("account number for the direct deposit", "{}", pairs("31415926")),
         ("the account number", "okay it's {} and that's checking", mixed("7788990011"))]
    r = [("and the routing number", "{}", digits(r1)),
         ("routing number please", "it's {}", r2),
         ("what's the aba routing number", "{}", digits(r3, zero="oh", groups=(3, 3, 3))),
         ("and the routing number for that bank", "the routing is {}", digits(r2, zero="oh", doubles=True)),
         ("nine digit routing number on the bottom of the check", "{}", f"{r1[:3]} {r1[3:6]} {r1[6:]}"),
         (None, "routing number {}", mixed(r3))]
    out = [(c, f.format(m("BANK_ACCOUNT", v))) for c, f, v in a]
    out += [(c, f.format(m("ROUTING_NUMBER", v))) for c, f, v in r]
    out += [
        ("i'll need the routing and account numbers", f"routing {m('ROUTING_NUMBER', digits(r2, zero='oh'))} and "
         f"account {m('BANK_ACCOUNT', digits('44001234', zero='oh'))}"),
        (None, f"the check has {m('ROUTING_NUMBER', r1)} then {m('BANK_ACCOUNT', '000987654321')}"),
    ]
    ibans = [("what's the iban", "{}", "gb82 west 1234 5698 7654 32"),
             ("can i have the iban for the transfer", "it's {}", "de89 3704 0044 0532 0130 00"),
             ("iban please", "{}", "g b eight two w e s t one two three four five six nine eight seven six five four "
              "three two"),
             (None, "my iban is {}", "GB33BUKB20201555555555"),
             ("and the iban", "sure {}", "f r seven six three oh oh oh six oh oh oh one one one two three four five "
              "six seven eight nine oh one eight nine"),
             ("international bank account number", "{}", "nl91 abna 0417 1643 00"),
             ("iban", "it's {} thanks", "es91 2100 0418 4502 0005 1332")]
    out += [(c, f.format(m("IBAN", v))) for c, f, v in ibans]
    return out


DOBS = [(1985, 3, 14), (1972, 11, 2), (1990, 7, 21), (1968, 1, 30), (2001, 9, 9), (1957, 12, 25), (1979, 5, 3),
        (1994, 10, 17), (1983, 6, 1), (1963, 2, 28), (2004, 8, 12), (1988, 4, 19)]


def dob_lines() -> list[tuple[str | None, str]]:
    ask = ["can you confirm your date of birth", "and your date of birth please", "what's the birthday on the account",
           "for security what is your date of birth"]
    out: list[tuple[str | None, str]] = []
    for i, (y, mo, d) in enumerate(DOBS * 2):
        forms = [f"{MONTHS[mo]} {ORDINALS[d]} {year(y)}", f"{pair(f'{mo:02d}')} {pair(f'{d:02d}')} {pair(str(y)[2:])}",
                 f"the {ORDINALS[d]} of {MONTHS[mo]} {year(y)}", f"{mo:02d}/{d:02d}/{y}",
                 f"{MONTHS[mo]} {_num(d)} {year(y)}", f"{_num(mo)} {_num(d)} {year(y)}",
                 f"{ORDINALS[d]} {MONTHS[mo]} {pair(str(y)[2:])}", f"{mo}-{d}-{y}",
                 f"{digits(f'{mo:02d}{d:02d}', zero='oh')} {year(y)}", f"{MONTHS[mo]} {d}{_suffix(d)} {y}",
                 f"{MONTHS[mo]} {_num(d)} {pair(str(y)[2:])}", f"{pair(f'{d:02d}')} {pair(f'{mo:02d}')} {year(y)}"]
        frames = ["it's {}", "{}", "sure {}", "i was born {}", "yeah {}", "uh {}"]
        form = forms[(i + 5 * (i // len(DOBS))) % len(forms)]  # the second pass says each date another way
        out.append((ask[i % len(ask)], frames[i % len(frames)].format(m("DATE_OF_BIRTH", form))))
    out += [
        (None, f"my date of birth is {m('DATE_OF_BIRTH', 'march fourteenth nineteen eighty five')}"),
        ("date of birth", f"{m('DATE_OF_BIRTH', 'oh three fourteen eighty five')}"),
        (None, f"i was born on {m('DATE_OF_BIRTH', 'the second of november seventy two')}"),
        ("and the date of birth of the account holder", f"that's my mother she was born "
         f"{m('DATE_OF_BIRTH', 'june third nineteen forty nine')}"),
        ("birthday", f"{m('DATE_OF_BIRTH', 'twelve twenty five fifty seven')}"),
    ]
    return out


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _num(n: int) -> str:
    return UNITS[n] if n < 10 else TEENS[n - 10] if n < 20 else (TENS[n // 10] + ("" if n % 10 == 0 else
                                                                                    f" {UNITS[n % 10]}"))


def address_lines() -> list[tuple[str | None, str]]:
    a = [("what's the service address", "{}", "one two three main street apartment four b"),
         ("and the address on file", "it's {}", "221 baker street"),
         ("what address should we ship it to", "{}", "fourteen oak avenue springfield"),
         ("can you confirm your billing address", "yes {}", "four five six elm drive"),
         (None, "i live at {}", "twelve thirty four maple lane unit seven"),
         ("what's the address for the appointment", "{}", "1600 pine road apt 12"),
         ("and your zip code", "{}", "nine oh two one oh"),
         ("zip code please", "it's {}", "30301"),
         ("what is your postcode", "{}", "s w one a one a a"),
         ("postcode", "it's {}", "m1 1ae"),
         (None, "the technician should come to {}", "eight eight nine cedar court"),
         ("street address", "{} near the park", "seventy seven sunset boulevard"),
         ("address where the router is installed", "{}", "forty two willow way apartment three c"),
         ("and the billing zip", "{}", "one oh zero zero one"),
         (None, "we moved to {} last month", "five oh one lakeview terrace"),
         ("can i have the new address", "sure {}", "three hundred fifth avenue suite two hundred"),
         ("what's your address", "{}", "flat two ten high street london e one six a n"),
         ("where do you live", "{}", "nineteen church lane bristol b s one four d j"),
         ("full address please", "it's {}", "2750 north river road denver colorado 80202"),
         ("delivery address", "{}", "one one five birch street apartment twelve"),
         ("what postcode is that", "{}", "e c one a one b b"),
         ("address", "um {}", "six oh four west oak street"),
         ("and your address", "{} it's a yellow house", "ninety nine orchard drive"),
         ("the address for the account", "{}", "p o box four five six seven springfield"),
         (None, "bill should go to {} instead", "eighteen harbor view lane portland maine oh four one oh one")]
    return [(c, f.format(m("ADDRESS", v))) for c, f, v in a]


def person_lines() -> list[tuple[str | None, str]]:
    p = [(None, "hi my name is {}", "maria gonzalez"),
         (None, "hello this is {} from the billing team", "john"),
         ("can i have your full name please", "{}", "priya raman"),
         ("who am i speaking with", "it's {}", "wei zhang"),
         ("and the name on the account", "{}", "olumide adeyemi"),
         ("can you spell your last name", "sure it's {}", "smith s m i t h"),
         ("first name", "{}", "siobhan"),
         ("last name please", "{}", "o'connor"),
         (None, "yeah my name's {} i'm calling about my bill", "derek walsh"),
         ("may i have your name", "{}", "tomasz nowak"),
         (None, "thank you for calling this is {} how can i help", "keisha"),
         ("and how do you spell that", "{}", "k o w a l s k i"),
         ("name on the card", "{}", "robert j miller"),
         (None, "the account is in my wife's name {}", "sarah miller"),
         ("who is the account holder", "that would be {}", "mr david chen"),
         ("can i get your name", "yeah it's {} like the country", "jordan"),
         (None, "i spoke to {} yesterday and she said", "angela"),
         ("and your first and last name", "{}", "fatima khan"),
         ("name please", "{}", "luis hernandez"),
         (None, "i'm {} i'm the property manager", "greg patterson"),
         ("could you spell the first name", "{}", "p r i y a"),
         ("who am i speaking with today", "this is {}", "ana lucia ferreira"),
         (None, "my mother {} is on the account too", "rosa delgado"),
         ("and whose name is the account under", "my husband's {}", "ahmed hassan"),
         (None, "hi {} here calling back about my ticket", "nina petrova")]
    out = [(c, f.format(m("PERSON", v))) for c, f, v in p]
    out += [
        ("can i have your full name and date of birth", f"{m('PERSON', 'james carter')} "
         f"{m('DATE_OF_BIRTH', 'april nineteenth nineteen eighty eight')}"),
        ("spell the last name please", f"it's {m('PERSON', 'nguyen')} {m('PERSON', 'n g u y e n')}"),
        (None, f"yes this is {m('PERSON', 'mike')} and my email is {m('EMAIL', 'mike at example dot com')}"),
    ]
    return out


def id_lines() -> list[tuple[str | None, str]]:
    pp = [("can i have your passport number", "{}", digits("534872196")),
          ("passport number please", "it's {}", "c d one two three four five six seven"),
          ("and the passport number", "{}", "912803456"),
          (None, "my passport number is {}", digits("480216735", zero="oh", doubles=True)),
          ("what's the number on your passport", "{}", "x a b one two three four five six"),
          ("passport", "it's {}", "k one two three four five six seven eight"),
          ("for the id check the passport number", "{}", "GB 123456789")]
    dl = [("can i have your driver's license number", "{}", "d one two three four five six seven"),
          ("driver's license number please", "it's {}", "s530 1234 5678"),
          ("and the license number", "{}", "f two five five nine two one five oh"),
          (None, "my drivers license is {}", "w four two six five four three two one"),
          ("what's your driving licence number", "{}", "smith 801148 jd 9ab"),
          ("license number on your id", "it's {}", "1234 5678 9"),
          ("driver license", "{}", "a one two three dash four five six dash seven eight nine")]
    out = [(c, f.format(m("PASSPORT", v))) for c, f, v in pp]
    out += [(c, f.format(m("DRIVER_LICENSE", v))) for c, f, v in dl]
    return out


def messy_lines() -> list[tuple[str | None, str]]:
    """Several entities in one turn, fillers, corrections and agent read-backs, as real calls have them."""
    c = digits("4012888888881881", groups=(4,) * 4)
    return [
        ("can i verify the account holder", f"yeah it's {m('PERSON', 'maria gonzalez')} date of birth "
         f"{m('DATE_OF_BIRTH', 'oh three fourteen eighty five')}"),
        (None, f"so i have {m('PERSON', 'john carter')} at {m('ADDRESS', 'one two three main street')} is that right"),
        (None, "just to confirm the number on file is "
         f"{m('PHONE_NUMBER', 'five five five oh one two three four five six')} correct"),
        ("card number", f"it's {m('CARD_NUMBER', c)} wait no sorry that's my old one"),
        ("what's the email", f"it's {m('EMAIL', 'maria g at gmail dot com')} and phone is "
         f"{m('PHONE_NUMBER', '(555) 014-2020')}"),
        (None, f"my name is {m('PERSON', 'keith obrien')} and i'm calling about order number four five six seven"),
        ("the zip code on the billing address", f"uh {m('ADDRESS', 'nine four one oh three')} i think yeah"),
        (None, f"i moved from {m('ADDRESS', '14 oak avenue')} to {m('ADDRESS', '22 river street')} in june"),
        ("can i have the date of birth and the last four of your social",
         f"{m('DATE_OF_BIRTH', 'july twenty first ninety')} and {m('SSN', 'four three two one')}"),
        (None, f"hi yes my name is {m('PERSON', 'linda')} {m('PERSON', 'l i n d a')} {m('PERSON', 'ortiz')}"),
        ("how do you spell the last name", f"{m('PERSON', 'b as in boy r o w n')}"),
        ("what's your account number", f"it's {m('BANK_ACCOUNT', 'one two three four')} uh "
         f"{m('BANK_ACCOUNT', 'five six seven eight')} hang on {m('BANK_ACCOUNT', 'nine oh')}"),
        (None, f"can you send the form to {m('EMAIL', 'wei.zhang@example.org')} or text "
         f"{m('PHONE_NUMBER', '555 013 7788')}"),
        ("who's the authorised user", f"my daughter {m('PERSON', 'emily')} she's {m('PERSON', 'emily carter')}"),
        ("what's the card number", f"{m('CARD_NUMBER', 'five five five five five five five five')} "
         f"{m('CARD_NUMBER', 'five five five five four four four four')}"),
        ("and the expiry", f"{m('CARD_EXPIRY', 'oh four')} {m('CARD_EXPIRY', 'twenty seven')}"),
        (None, f"this is {m('PERSON', 'dave')} from {m('ADDRESS', 'forty two willow way')} the internet is out again"),
        ("date of birth", f"{m('DATE_OF_BIRTH', 'fourteenth of march')} {m('DATE_OF_BIRTH', 'eighty five')}"),
        ("can i take a phone number", f"{m('PHONE_NUMBER', 'five five five')} {m('PHONE_NUMBER', 'oh one four')} "
         f"{m('PHONE_NUMBER', 'eight eight two two')}"),
        ("what's your email", f"{m('EMAIL', 'd o k a f o r at protonmail dot com')}"),
        (None, f"yes i'm {m('PERSON', 'carlos mendes')} the account holder my social is {m('SSN', '123-45-2468')}"),
        (None, f"please update the address to {m('ADDRESS', 'seven seven sunset boulevard apartment nine')} thanks"),
        ("and the passport number for the booking", f"{m('PASSPORT', 'five three four eight seven two one nine six')} "
         f"expires in twenty twenty nine"),
    ]


NEGATIVES: list[tuple[str | None, str]] = [
    (None, "i've been on hold for forty five minutes"), (None, "it's two hundred dollars a month"),
    (None, "the screen says error four oh one"), (None, "i'm on version two point five"),
    ("do you have an order number", "order number four five six seven"),
    ("what's the ticket number", "ticket nine eight seven six five four three"),
    ("can i get the case number", "case number one two three four five six"), (None, "i understand"),
    (None, "okay thank you so much"), (None, "can you come between two and four pm"),
    (None, "it's been about three weeks now"), (None, "i bought it in twenty nineteen"),
    (None, "the router is a netgear nighthawk"), (None, "i have the iphone fifteen pro"),
    (None, "my card was declined at the store this morning"), (None, "i need to update my address"),
    ("can i have your card number", "hold on let me grab my wallet"),
    ("what's your date of birth", "why do you need that"),
    (None, "i was charged twice for forty nine ninety nine"), (None, "the bill went up by ten percent"),
    ("what's the model number", "it's model x one two three four"), (None, "press one for billing they said"),
    (None, "i'll call you back in ten minutes"), (None, "can i speak to a supervisor please"),
    (None, "windows eleven keeps restarting"), (None, "we have three kids and two dogs"),
    (None, "it's the twenty dollar plan"), (None, "the internet drops every five minutes or so"),
    (None, "i got a text saying my package is delayed"), ("what's your account number", "i don't have it with me"),
    (None, "the tracking number starts with one z"), (None, "it says error code e one oh four two"),
    (None, "i paid on the fifteenth like always"), (None, "the appointment is at nine thirty tomorrow"),
    (None, "we have a two bedroom apartment"), (None, "it's about eighty degrees in here"),
    (None, "can you give me the last four digits of the card please"), (None, "what's your date of birth"),
    (None, "and can i have your full name"), (None, "what is the best phone number to reach you"),
    (None, "the fee was thirty five dollars"), (None, "it's a fifty megabit plan"), (None, "i need two more cables"),
    (None, "my confirmation number is seven seven four two one"), (None, "extension four four two please"),
    (None, "i'm calling from the main office"), (None, "room four oh two"),
    (None, "i've had this account for twelve years"),
    (None, "the galaxy s twenty three won't charge"), (None, "the thermostat is set to sixty eight"),
    (None, "the invoice number is one oh oh four five"), ("reference number please", "r e f two three four five"),
    (None, "yes that's correct"), (None, "no that's not right"), (None, "could you repeat that"),
    (None, "i'll hold"), (None, "one second please"), (None, "sorry you cut out there"),
    (None, "the visa signature card has no annual fee"), (None, "i want to close the savings account"),
    (None, "there's a charge from amazon for twelve ninety nine"), (None, "it happened around march last year"),
    (None, "the warranty is two years"), (None, "i bought it on black friday"), (None, "i have a hundred gigs of data"),
    (None, "about one in five calls drop"), (None, "the water heater is fifteen years old"),
    (None, "my flight is at six forty five am"), (None, "the claim number is four four eight one nine"),
    (None, "it's apple tv on the second floor"), (None, "i'd like to pay the minimum of twenty five dollars"),
    (None, "that's three point five stars"), (None, "step two says restart the modem"),
    (None, "can you send a technician"), (None, "it's the premium plus package"), (None, "i'm on channel two oh six"),
    (None, "that's the third time this month"), (None, "chapter eleven of the manual"),
    (None, "my son is fourteen"), (None, "i have two hundred and fifty dollars credit"),
    (None, "the serial number is a b c one two three"), (None, "the booking reference is k l m nine"),
    (None, "it takes five to seven business days"), (None, "i'm calling about my bill"),
    (None, "the interest rate is nineteen point nine percent"), (None, "five stars for the technician"),
    (None, "i need a new sim card"), (None, "can you reset my password"),
    ("and the expiry date", "i don't see one on the card"), ("phone number", "same as before"),
    (None, "the package weighs about twelve pounds"), (None, "firmware one point two point three"),
]


def parse(marked: str) -> tuple[str, list[dict[str, object]]]:
    """Removes the [[TYPE|words]] marks, returning the text and the entities with their offsets."""
    text, entities, pos = [], [], 0
    for match in _MARK.finditer(marked):
        text.append(marked[pos:match.start()])
        start = sum(len(t) for t in text)
        text.append(match.group(2))
        entities.append({"type": match.group(1), "start": start, "end": start + len(match.group(2)),
                         "value": match.group(2)})
        pos = match.end()
    text.append(marked[pos:])
    return "".join(text), entities


def build() -> list[str]:
    """The JSON lines of the data set, in order."""
    _RNG.seed(20261122)
    groups = {"card": card_lines(), "expcvv": expiry_cvv_lines(), "ssn": ssn_lines(), "phone": phone_lines(),
              "email": email_lines(), "bank": bank_lines(), "dob": dob_lines(), "address": address_lines(),
              "person": person_lines(), "id": id_lines(),
              "messy": messy_lines(), "neg": NEGATIVES}
    lines = []
    for name, items in groups.items():
        for n, (context, marked) in enumerate(items, 1):
            text, entities = parse(marked)
            assert "[[" not in text and "]]" not in text, marked
            assert (name == "neg") == (not entities), marked
            lines.append(json.dumps({"id": f"{name}-{n:03d}", "context": context, "text": text,
                                     "entities": entities}, ensure_ascii=False))
    return lines


def main() -> None:
    lines = build()
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines to {OUT}")


if __name__ == "__main__":
    main()
