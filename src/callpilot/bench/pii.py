"""PII benchmark: callpilot's redactor and a Presidio baseline, side by side, on three data sets.

Data sets:
- ``spoken``: tests/data/pii_spoken.jsonl, callpilot's own call-transcript utterances (lower-case ASR style,
  numbers said digit by digit) with exact spans, and negative lines that must stay untouched.
- ``presidio_synth``: ../shared/data/pii_presidio_synth/synth_dev.json, written sentences (presidio-research).
  Its types are mapped by :data:`SYNTH_TYPES`; spans of :data:`SYNTH_EXCLUDED` have no counterpart of ours and are
  scored for neither system: they are neither gold nor false positives (a prediction overlapping one is ignored).
- ``evi``: ../shared/data/evi_en, real ASR transcriptions of callers saying their postcode, name or date of birth,
  with the true values in records.en.csv. Only recall is defined there (the turns carry no spans): the share of
  the true value's tokens present in the transcription that end up inside a detected span of any type, and the
  share of turns redacted fully.

Scoring (``spoken`` and ``presidio_synth``): a gold span is *found* when predicted spans of its type cover at
least half of its characters (several fragments add up); a prediction is *correct* when it overlaps a found gold
span of its type, or lies at least half inside gold spans of its type (a fragment of a long address is not a
false alarm; recall already counts the rest as missed). "any type" does the same ignoring types; "exact" needs
equal boundaries (after trimming spaces and punctuation at the edges). callpilot's NUMBER (unclassified digits)
is never correct typed: it is a false positive, or a type mismatch when it covers a gold span (then it counts
under "any type").

Presidio runs with ``NoOpNlpEngine`` (no spaCy model is available offline), so its PERSON and LOCATION come from
no recognizer. Its DATE_TIME becomes DATE_OF_BIRTH where it overlaps a gold DATE_OF_BIRTH span and is otherwise
dropped, not counted as a false positive (Presidio cannot tell a birth date from any date; this favours it).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "PRESIDIO_TYPES", "SYNTH_EXCLUDED", "SYNTH_TYPES", "TYPES", "Example", "EviTurn", "Score", "Span",
    "callpilot_finder", "load_evi", "load_presidio_synth", "load_spoken", "main", "presidio_finder",
    "resolve_dates", "run", "score", "score_evi",
]

TYPES = ("CARD_NUMBER", "CARD_EXPIRY", "CVV", "SSN", "PHONE_NUMBER", "EMAIL", "BANK_ACCOUNT", "ROUTING_NUMBER",
         "IBAN", "DATE_OF_BIRTH", "ADDRESS", "PERSON", "PASSPORT", "DRIVER_LICENSE", "NUMBER")
SYNTH_TYPES = {"PERSON": "PERSON", "STREET_ADDRESS": "ADDRESS", "ZIP_CODE": "ADDRESS", "CREDIT_CARD": "CARD_NUMBER",
               "PHONE_NUMBER": "PHONE_NUMBER", "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN", "US_SSN": "SSN",
               "US_DRIVER_LICENSE": "DRIVER_LICENSE"}
# DATE_TIME is any date or time, not a birth date; the others are not personal data callpilot redacts.
SYNTH_EXCLUDED = ("DATE_TIME", "GPE", "ORGANIZATION", "TITLE", "AGE", "NRP", "DOMAIN_NAME", "IP_ADDRESS")
# Presidio's default recognizers' entity names -> ours. Unlisted ones (URL, IP_ADDRESS, UUID, CRYPTO, MAC_ADDRESS,
# MEDICAL_LICENSE, UK_NHS) have no counterpart and are dropped. US_ITIN has the SSN's shape and role.
PRESIDIO_TYPES = {"CREDIT_CARD": "CARD_NUMBER", "US_SSN": "SSN", "US_ITIN": "SSN", "PHONE_NUMBER": "PHONE_NUMBER",
                  "EMAIL_ADDRESS": "EMAIL", "US_BANK_NUMBER": "BANK_ACCOUNT", "ABA_ROUTING_NUMBER": "ROUTING_NUMBER",
                  "IBAN_CODE": "IBAN", "US_PASSPORT": "PASSPORT", "US_DRIVER_LICENSE": "DRIVER_LICENSE",
                  "PERSON": "PERSON", "LOCATION": "ADDRESS", "DATE_TIME": "DATE_TIME"}
EVI_CONTEXT = {"postcode": "what is your postcode", "name": "what is your full name",
               "dob": "what is your date of birth"}
_TRIM = " \t\n.,;:!?'\"()"


@dataclass(frozen=True, slots=True)
class Span:
    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Example:
    """One utterance: its text, the agent's question before it, gold spans and spans scored for neither side."""

    id: str
    text: str
    context: str | None
    gold: tuple[Span, ...]
    ignore: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class EviTurn:
    """One EVI caller turn; ``tokens`` are the character ranges of the true value's tokens in ``text``."""

    id: str
    item: str
    text: str
    context: str
    tokens: tuple[tuple[int, int], ...]


Finder = Callable[[str, str | None], list[Span]]


# ---------------------------------------------------------------------------------------------- loading

def repo_root() -> Path:
    """The checkout this module runs from (src/callpilot/bench/pii.py -> four levels up)."""
    return Path(__file__).resolve().parents[3]


def load_spoken(path: Path | None = None) -> list[Example]:
    path = path or repo_root() / "tests" / "data" / "pii_spoken.jsonl"
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            gold = tuple(Span(e["type"], e["start"], e["end"]) for e in row["entities"])
            examples.append(Example(row["id"], row["text"], row["context"], gold))
    return examples


def load_presidio_synth(path: Path) -> list[Example]:
    examples = []
    for i, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        gold: list[Span] = []
        ignore: list[Span] = []
        for s in row["spans"]:
            kind = s["entity_type"]
            (gold if kind in SYNTH_TYPES else ignore).append(
                Span(SYNTH_TYPES.get(kind, kind), s["start_position"], s["end_position"]))
            if kind not in SYNTH_TYPES and kind not in SYNTH_EXCLUDED:
                raise ValueError(f"synth_dev.json: unknown entity type {kind!r}")
        examples.append(Example(f"synth-{i:03d}", row["full_text"], None, tuple(gold), tuple(ignore)))
    return examples


_NATO = {"alpha", "alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
         "uniform", "victor", "whiskey", "whisky", "xray", "x-ray", "yankee", "zulu"}
_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                "seven": "7", "eight": "8", "nine": "9"}
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]


def load_evi(folder: Path) -> list[EviTurn]:
    """Caller turns whose transcription contains at least one token of the true postcode, name or birth date."""
    records = {r["scenario_id"]: r for r in csv.DictReader((folder / "records.en.csv").open(encoding="utf-8"))}
    turns = []
    with (folder / "dialogues_dev.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            record = records.get(row["scenario_id"])
            if record is None or not row["transcription"].strip():
                continue
            text = row["transcription"]
            tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text)
                           if _is_gold_token(m.group(0), row["item"], record, text))
            if tokens:
                turn_id = f"{row['dialogue_id']}/{row['turn_num']}"
                turns.append(EviTurn(turn_id, row["item"], text.lower(), EVI_CONTEXT[row["item"]], tokens))
    return turns


def _is_gold_token(token: str, item: str, record: dict[str, str], text: str) -> bool:
    """Whether a transcription token carries part of the true value (ASR spelling variants allowed)."""
    word = token.lower().strip(".,?!")
    if item == "postcode":
        compact = re.sub(r"[^a-z0-9]", "", record["postcode"].lower())
        letters_like = len(word) == 1 or any(c.isdigit() for c in word) or (token.isupper() and len(word) <= 4)
        return bool(word) and ((letters_like and word in compact) or (word in _NATO and word[0] in compact)
                               or _DIGIT_WORDS.get(word, "#") in compact)
    if item == "name":
        from rapidfuzz import fuzz

        parts = [p.lower() for p in (record["name_first"], record["name_last"]) if p]
        if len(word) > 1 and any(fuzz.ratio(word, p) >= 80 for p in parts):
            return True
        spelled = sum(1 for w in text.lower().split() if len(w) == 1 or w in _NATO)
        letter = word if len(word) == 1 else word[0] if word in _NATO else ""
        return spelled >= 3 and bool(letter) and any(letter in p for p in parts)
    y, m, d = (int(x) for x in record["dob"].split("-"))
    bare = re.sub(r"(st|nd|rd|th)$", "", word)
    if bare.isdigit():
        n = int(bare)
        return (n in (d, m, y) or (len(bare) == 2 and n == y % 100)
                or (len(bare) >= 3 and any(bare in s for s in (f"{d:02d}{m:02d}{y}", f"{m:02d}{d:02d}{y}"))))
    return word in (_MONTHS[m - 1], _MONTHS[m - 1][:3])


# ---------------------------------------------------------------------------------------------- scoring

@dataclass(slots=True)
class Counts:
    gold: int = 0
    found: int = 0
    pred: int = 0
    correct: int = 0
    gold_exact: int = 0
    pred_exact: int = 0

    def prf(self, exact: bool = False) -> tuple[float | None, float | None, float | None]:
        """Precision, recall, F1; None where undefined (nothing predicted, no gold)."""
        correct, found = (self.pred_exact, self.gold_exact) if exact else (self.correct, self.found)
        p = correct / self.pred if self.pred else None
        r = found / self.gold if self.gold else None
        f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r > 0 else (
            0.0 if p is not None and r is not None else None)
        return p, r, f1


@dataclass(slots=True)
class Score:
    per_type: dict[str, Counts] = field(default_factory=dict)
    typed: Counts = field(default_factory=Counts)
    any_type: Counts = field(default_factory=Counts)
    mismatches: Counter[tuple[str, str]] = field(default_factory=Counter)
    negatives: int = 0
    negatives_flagged: int = 0

    def as_dict(self) -> dict[str, Any]:
        def one(c: Counts) -> dict[str, Any]:
            p, r, f1 = c.prf()
            pe, re_, fe = c.prf(exact=True)
            return {"gold": c.gold, "pred": c.pred, "precision": p, "recall": r, "f1": f1,
                    "exact": {"precision": pe, "recall": re_, "f1": fe}}
        return {"per_type": {t: one(c) for t, c in sorted(self.per_type.items())}, "typed": one(self.typed),
                "any_type": one(self.any_type), "negatives": self.negatives,
                "negatives_flagged": self.negatives_flagged,
                "mismatches": {f"{g}->{p}": n for (g, p), n in self.mismatches.most_common()}}


def _trim(text: str, s: Span) -> tuple[int, int]:
    start, end = s.start, s.end
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _coverage(g: Span, preds: Iterable[Span]) -> int:
    """Characters of ``g`` inside the union of ``preds``."""
    covered: set[int] = set()
    for p in preds:
        covered.update(range(max(g.start, p.start), min(g.end, p.end)))
    return len(covered)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _is_found(g: Span, preds: Sequence[Span]) -> bool:
    return 2 * _coverage(g, preds) >= g.end - g.start


def score(examples: Sequence[Example], predictions: Sequence[Sequence[Span]]) -> Score:
    """Per-type, typed and any-type counts over all examples (see the module docstring for the rules)."""
    result = Score()
    for ex, preds in zip(examples, predictions, strict=True):
        for p in preds:
            if not 0 <= p.start < p.end <= len(ex.text):
                raise ValueError(f"{ex.id}: predicted span {p} is outside the text ({len(ex.text)} characters)")
        kept = [p for p in dict.fromkeys(preds)
                if not any(_overlaps(p, i) for i in ex.ignore) or any(_overlaps(p, g) for g in ex.gold)]
        if not ex.gold:
            result.negatives += 1
            result.negatives_flagged += bool(kept)
        _score_example(ex, kept, result)
    return result


def _score_example(ex: Example, preds: list[Span], result: Score) -> None:
    found_typed = {g for g in ex.gold if _is_found(g, [p for p in preds if p.type == g.type])}
    found_any = {g for g in ex.gold if _is_found(g, preds)}
    exact_pairs = {(g, p) for g in ex.gold for p in preds if _trim(ex.text, g) == _trim(ex.text, p)}
    for g in ex.gold:
        counts = result.per_type.setdefault(g.type, Counts())
        exact_typed = any(pg == g and p.type == g.type for pg, p in exact_pairs)
        for c, found, exact in ((counts, g in found_typed, exact_typed), (result.typed, g in found_typed, exact_typed),
                                (result.any_type, g in found_any, any(pg == g for pg, _ in exact_pairs))):
            c.gold += 1
            c.found += found
            c.gold_exact += exact
        if g in found_any and g not in found_typed:
            covering = Counter(p.type for p in preds if _overlaps(p, g) and p.type != g.type)
            result.mismatches[(g.type, covering.most_common(1)[0][0])] += 1
    for p in preds:
        counts = result.per_type.setdefault(p.type, Counts())
        correct = _is_correct(p, [g for g in ex.gold if g.type == p.type], found_typed)
        exact_typed = any(pp == p and g.type == p.type for g, pp in exact_pairs)
        for c, ok, exact in ((counts, correct, exact_typed), (result.typed, correct, exact_typed),
                             (result.any_type, _is_correct(p, ex.gold, found_any),
                              any(pp == p for _, pp in exact_pairs))):
            c.pred += 1
            c.correct += ok
            c.pred_exact += exact


def _is_correct(p: Span, gold: Sequence[Span], found: set[Span]) -> bool:
    """``p`` overlaps a found span of ``gold`` or lies at least half inside ``gold``."""
    return any(_overlaps(p, g) for g in gold if g in found) or _is_found(p, gold)


def resolve_dates(gold: Sequence[Span], preds: Sequence[Span]) -> list[Span]:
    """Presidio's DATE_TIME: DATE_OF_BIRTH where it overlaps a gold DATE_OF_BIRTH span, else dropped."""
    out = []
    for p in preds:
        if p.type != "DATE_TIME":
            out.append(p)
        elif any(g.type == "DATE_OF_BIRTH" and _overlaps(p, g) for g in gold):
            out.append(Span("DATE_OF_BIRTH", p.start, p.end))
    return out


def score_evi(turns: Sequence[EviTurn], predictions: Sequence[Sequence[Span]]) -> dict[str, dict[str, Any]]:
    """Per item and overall: token recall (tokens fully inside any predicted span) and fully redacted turns."""
    stats: dict[str, list[int]] = {}
    for turn, preds in zip(turns, predictions, strict=True):
        covered = sum(1 for a, b in turn.tokens if any(p.start <= a and b <= p.end for p in _merged(preds)))
        for key in (turn.item, "all"):
            s = stats.setdefault(key, [0, 0, 0, 0])
            s[0] += 1
            s[1] += covered == len(turn.tokens)
            s[2] += len(turn.tokens)
            s[3] += covered
    return {k: {"turns": t, "fully_redacted": full / t, "tokens": n, "token_recall": c / n}
            for k, (t, full, n, c) in stats.items()}


def _merged(preds: Sequence[Span]) -> list[Span]:
    """Adjacent or overlapping spans joined, so a token split between two findings counts as covered."""
    out: list[Span] = []
    for p in sorted(preds, key=lambda p: p.start):
        if out and p.start <= out[-1].end:
            out[-1] = Span(out[-1].type, out[-1].start, max(out[-1].end, p.end))
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------- systems

def callpilot_finder() -> Finder:
    """callpilot's PiiRedactor with its defaults."""
    from callpilot.analyzers.pii.redactor import PiiRedactor

    redactor = PiiRedactor()

    def find(text: str, context: str | None) -> list[Span]:
        return [Span(str(f.type), f.start, f.end) for f in redactor.find(text, context=context)]
    return find


def presidio_finder() -> tuple[Finder | None, str]:
    """Presidio's AnalyzerEngine with every default pattern recognizer and no NLP model, or None and why not.

    Offline: ``NoOpNlpEngine`` instead of the spaCy engine (which would try to download a model), and the email
    recognizer's domain check uses a TLDExtract that reads the suffix list snapshot inside the wheel: the
    module-level ``tldextract.extract`` it calls by default tries to fetch the list from the internet first.
    """
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import EmailRecognizer
    except ImportError:
        return None, "presidio-analyzer is not installed (`pip install 'callpilot[dev]'`): callpilot alone"
    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return extractor(pattern_text).fqdn != ""

    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    analyzer = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])

    def find(text: str, context: str | None) -> list[Span]:
        results = analyzer.analyze(text, language="en", context=context.split() if context else None)
        return [Span(PRESIDIO_TYPES[r.entity_type], r.start, r.end) for r in results
                if r.entity_type in PRESIDIO_TYPES]
    return find, f"presidio-analyzer {_version('presidio-analyzer')}, NoOpNlpEngine, default recognizers"


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# ---------------------------------------------------------------------------------------------- running

def run(*, root: Path | None = None, shared: Path | None = None, systems: dict[str, Finder] | None = None,
        repeats: int = 5) -> tuple[dict[str, Any], list[str]]:
    """Every available data set through every system: the result dict and its markdown report."""
    root = root or repo_root()
    shared = shared or root.parent / "shared" / "data"
    notes: list[str] = []
    if systems is None:
        systems = {"callpilot": callpilot_finder()}
        presidio, note = presidio_finder()
        notes.append(note)
        if presidio is not None:
            systems["presidio"] = presidio
    sets: dict[str, list[Example]] = {"spoken": load_spoken(root / "tests" / "data" / "pii_spoken.jsonl")}
    synth, evi_dir = shared / "pii_presidio_synth" / "synth_dev.json", shared / "evi_en"
    if synth.is_file():
        sets["presidio_synth"] = load_presidio_synth(synth)
    else:
        notes.append(f"{synth} not found: presidio_synth skipped")
    result: dict[str, Any] = {"systems": list(systems), "notes": notes, "sets": {}}
    for name, examples in sets.items():
        result["sets"][name] = {}
        for system, finder in systems.items():
            preds = [resolve_dates(ex.gold, finder(ex.text, ex.context)) for ex in examples]
            result["sets"][name][system] = score(examples, preds).as_dict()
            if name == "spoken":
                result.setdefault("failures", {})[system] = failures(examples, preds)
    if (evi_dir / "dialogues_dev.tsv").is_file():
        turns = load_evi(evi_dir)
        result["evi"] = {system: score_evi(turns, [finder(t.text, t.context) for t in turns])
                         for system, finder in systems.items()}
    else:
        notes.append(f"{evi_dir} not found: evi skipped")
    result["latency_ms"] = {system: latency(finder, sets["spoken"], repeats) for system, finder in systems.items()}
    return result, markdown(result)


def latency(finder: Finder, examples: Sequence[Example], repeats: int) -> dict[str, float]:
    """Milliseconds per utterance over ``repeats`` passes after one warm-up pass."""
    for ex in examples:
        finder(ex.text, ex.context)
    times = []
    for _ in range(repeats):
        for ex in examples:
            t0 = time.perf_counter()
            finder(ex.text, ex.context)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[min(len(times) - 1, int(0.99 * len(times)))],
            "n": len(times)}


def failures(examples: Sequence[Example], predictions: Sequence[Sequence[Span]]) -> list[dict[str, Any]]:
    """Utterances with a gold span not found with its type, or a prediction that is not correct."""
    out = []
    for ex, preds in zip(examples, predictions, strict=True):
        missed = [g for g in ex.gold if not _is_found(g, [p for p in preds if p.type == g.type])]
        found = {g for g in ex.gold if g not in missed}
        wrong = [p for p in preds if not _is_correct(p, [g for g in ex.gold if g.type == p.type], found)]
        if missed or wrong:
            out.append({"id": ex.id, "context": ex.context, "text": ex.text,
                        "missed": [(g.type, ex.text[g.start:g.end]) for g in missed],
                        "wrong": [(p.type, ex.text[p.start:p.end]) for p in wrong],
                        "found": [(p.type, ex.text[p.start:p.end]) for p in preds]})
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def markdown(result: dict[str, Any]) -> list[str]:
    systems = result["systems"]
    lines = ["## PII redaction", ""] + [f"- {n}" for n in result["notes"]] + [""]
    for name, by_system in result["sets"].items():
        lines += [f"### {name}", "", "| system | typed P | R | F1 | any-type P | R | F1 | exact P | R | F1 "
                  "| negatives flagged |", "|---|" + "---:|" * 10]
        for system in systems:
            s = by_system[system]
            cells = [_pct(s[k][m]) for k in ("typed", "any_type") for m in ("precision", "recall", "f1")]
            cells += [_pct(s["typed"]["exact"][m]) for m in ("precision", "recall", "f1")]
            cells.append(f"{s['negatives_flagged']}/{s['negatives']}")
            lines.append(f"| {system} | " + " | ".join(cells) + " |")
        lines += ["", "| type | gold | " + " | ".join(f"{s} P | R | F1" for s in systems) + " |",
                  "|---|---:|" + "---:|---:|---:|" * len(systems)]
        for t in TYPES:
            rows = [by_system[s]["per_type"].get(t) for s in systems]
            if not any(rows):
                continue
            gold = next((r["gold"] for r in rows if r), 0)
            cells = [_pct(r[m]) if r else "–" for r in rows for m in ("precision", "recall", "f1")]
            lines.append(f"| {t} | {gold} | " + " | ".join(cells) + " |")
        for system in systems:
            if by_system[system]["mismatches"]:
                mism = ", ".join(f"{k} {n}" for k, n in by_system[system]["mismatches"].items())
                lines.append(f"\n{system} type mismatches (gold->predicted): {mism}")
        lines.append("")
    if "evi" in result:
        lines += ["### evi (real ASR; recall only: the turns carry no spans, so precision is not defined)", "",
                  "| item | turns | " + " | ".join(f"{s} token recall | fully redacted" for s in systems) + " |",
                  "|---|---:|" + "---:|---:|" * len(systems)]
        for item in ("postcode", "name", "dob", "all"):
            first = result["evi"][systems[0]].get(item)
            if first:
                cells = [f"{_pct(result['evi'][s][item]['token_recall'])} | "
                         f"{_pct(result['evi'][s][item]['fully_redacted'])}" for s in systems]
                lines.append(f"| {item} | {first['turns']} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### latency per utterance (spoken set)", "", "| system | p50 ms | p99 ms | calls |",
              "|---|---:|---:|---:|"]
    lines += [f"| {s} | {v['p50']:.3f} | {v['p99']:.3f} | {v['n']} |" for s, v in result["latency_ms"].items()]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Development entry point: print the markdown report (and, with --failures N, callpilot's failures)."""
    parser = argparse.ArgumentParser(prog="python -m callpilot.bench.pii", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="repository root (default: this checkout)")
    parser.add_argument("--shared", type=Path, help="shared data folder (default: <root>/../shared/data)")
    parser.add_argument("--failures", type=int, default=0, help="print up to N failing utterances per system")
    parser.add_argument("--json", type=Path, help="also write the result dict here")
    args = parser.parse_args(argv)
    result, lines = run(root=args.root, shared=args.shared)
    print("\n".join(lines))
    for system, items in result.get("failures", {}).items():
        for item in items[:args.failures]:
            print(f"{system} {item['id']}: ctx={item['context']!r} text={item['text']!r} "
                  f"missed={item['missed']} wrong={item['wrong']} found={item['found']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
