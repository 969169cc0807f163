"""``callpilot redact``: JSON lines in, one redacted JSON line out per input line.

``{"text": ...}`` -> ``{"text": redacted, "entities": [{"type", "start", "end"}]}``;
``{"segments": [{"speaker", "text"}, ...], "names": [...]?}`` (one call, in order) ->
``{"segments": [...redacted...], "entities": [{"type", "segment", "start", "end"}]}``.
Offsets are into the *input* text (of that segment). A line that cannot be read gets ``{"error": ...}`` and the
batch goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from callpilot.analyzers.pii.entities import EntityType
from callpilot.analyzers.pii.pieces import Chain, Piece, PieceJoiner
from callpilot.analyzers.pii.redactor import PiiRedactor

__all__ = ["redact_call", "redact_lines", "redact_text"]

_SPEAKERS = ("agent", "customer")


def redact_text(redactor: PiiRedactor, text: str, context: str | None = None,
                names: Iterable[str] = ()) -> dict[str, Any]:
    redaction = redactor.redact(text, redactor.find(text, context, names))
    return {"text": redaction.text,
            "entities": [{"type": s.type.value, "start": s.start, "end": s.end} for s in redaction.spans]}


@dataclass
class _Out:
    speaker: str
    text: str
    entities: list[dict[str, Any]]
    """type, start, end (input offsets) and out_start/out_end (offsets in ``text``)."""


def redact_call(redactor: PiiRedactor, segments: list[dict[str, Any]], names: Iterable[str] = (),
                *, max_gap_seconds: float = 20.0) -> dict[str, Any]:
    """Redact a call's segments in order, joining numbers read out over several segments as the live
    pipeline does (without timings, consecutive pieces count as close enough)."""
    joiner = PieceJoiner(redactor, max_gap_seconds=max_gap_seconds)
    names = list(names)
    chains: dict[str, Chain | None] = dict.fromkeys(_SPEAKERS)
    last_said: dict[str, str] = {}
    out: list[_Out] = []
    for index, seg in enumerate(segments):
        speaker, text = _segment_fields(seg, index)
        other = "agent" if speaker == "customer" else "customer"
        start = float(seg.get("start", index))
        result = joiner.process(text, segment_id=str(index), context=last_said.get(other), names=names,
                                chain=chains[speaker], start=start, end=float(seg.get("end", start)))
        for piece, new_type in result.amendments:
            _amend(out[int(piece.segment_id)], piece, new_type, result.chain)
        chains[speaker] = result.chain
        last_said[speaker] = result.redaction.text
        out.append(_Out(speaker, result.redaction.text, [
            {"type": s.type.value, "start": s.start, "end": s.end, "out_start": s.out_start, "out_end": s.out_end}
            for s in result.redaction.spans
        ]))
    return {
        "segments": [{**segments[i], "speaker": o.speaker, "text": o.text} for i, o in enumerate(out)],
        "entities": [{"type": e["type"], "segment": i, "start": e["start"], "end": e["end"]}
                     for i, o in enumerate(out) for e in o.entities],
    }


def _segment_fields(seg: Any, index: int) -> tuple[str, str]:
    if not isinstance(seg, dict):
        raise ValueError(f"segments[{index}] must be an object")
    speaker, text = seg.get("speaker"), seg.get("text")
    if speaker not in _SPEAKERS:
        raise ValueError(f"segments[{index}].speaker must be 'agent' or 'customer'")
    if not isinstance(text, str):
        raise ValueError(f"segments[{index}].text must be a string")
    return speaker, text


def _amend(seg: _Out, piece: Piece, new_type: EntityType, chain: Chain | None) -> None:
    placeholder = f"[{new_type.value}]"
    seg.text = seg.text[:piece.start] + placeholder + seg.text[piece.end:]
    shift = len(placeholder) - (piece.end - piece.start)
    for entity in seg.entities:
        if entity["out_start"] == piece.start:
            entity["type"], entity["out_end"] = new_type.value, piece.start + len(placeholder)
        elif entity["out_start"] > piece.start:
            entity["out_start"] += shift
            entity["out_end"] += shift
    if chain is not None:
        chain.pieces = [Piece(p.segment_id, p.start, p.start + len(placeholder)) if p == piece else p
                        for p in chain.pieces]


def redact_lines(redactor: PiiRedactor, lines: Iterable[bytes]) -> Iterator[bytes]:
    """One output line per input line (blank lines are skipped); bad lines get an ``error`` line."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield orjson.dumps(_redact_line(redactor, raw))
        except (ValueError, TypeError) as exc:
            yield orjson.dumps({"error": f"line {number}: {exc}"})


def _redact_line(redactor: PiiRedactor, raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON (or not UTF-8): {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('expected an object with "text" or "segments"')
    names = data.get("names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError('"names" must be a list of strings')
    if isinstance(data.get("text"), str):
        return redact_text(redactor, data["text"], data.get("context"), names)
    if isinstance(data.get("segments"), list):
        return redact_call(redactor, data["segments"], names)
    raise ValueError('expected "text" (a string) or "segments" (a list)')
