"""``callpilot replay``: many files, many copies, printed as they stream back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import typer

from callpilot.replay.client import ReplayResult, replay_call
from callpilot.replay.transcript import load_transcript

__all__ = ["client_for", "describe_event", "replay_files"]


def client_for(url: str, api_key: str | None) -> httpx.AsyncClient:
    headers = {"X-API-Key": api_key} if api_key else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=httpx.Timeout(10.0),
                             limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))


# One line per event type worth reading live; the rest print their fields.
_DESCRIBE: dict[str, Callable[[dict[str, Any]], str]] = {
    "SegmentReceived": lambda d: f"{d['speaker']:>8}: {d['text']}",
    "TalkStatsUpdated": lambda d: (
        f"talk ratio agent {d['stats']['talk_ratio']['agent']:.0%} / customer "
        f"{d['stats']['talk_ratio']['customer']:.0%}, interruptions {d['stats']['interruptions']}, "
        f"silence {d['stats']['silence_seconds']}s"),
    "CallStarted": lambda d: f"agent {d['agent_id']} queue {d.get('queue')}",
    "CallEnded": lambda d: str(d["status"]),
    "PiiRedacted": lambda d: ", ".join(e["type"] for e in d["entities"]) or (
        "(a number is being read out)" if d.get("open_number") else "(the number read out is complete)"),
    "SegmentRedactionAmended": lambda d: f"{d['segment_id']}: {d['text']}",
    "ChecklistStarted": lambda d: f"{d['ruleset']}: {len(d['checklist'])} requirements",
    "RuleViolated": lambda d: f"{d['severity']} {d['rule_id']}: \"{d['evidence']}\" - {d['message']}",
    "RequirementMet": lambda d: f"{d['rule_id']}: \"{d['evidence']}\"",
    "RequirementMissed": lambda d: f"{d['severity']} {d['rule_id']}: {d['reason']}",
    "SentimentScored": lambda d: f"{d['speaker']} {d['score']:+.2f} ({d['label']}), call {d['call_score']:+.2f}",
    "EscalationSuggested": lambda d: f"{d['reason']} - {d['suggested_action']}",
    "CallbackRecommended": lambda d: str(d["reason"]),
    "SignalDetected": lambda d: f"{d['signal']} ({d['speaker']}): \"{d['evidence']}\" - {d['suggested_action']}",
    "ContextAnalyzed": lambda d: (
        f"issue {d['detected_issue']} ({d['confidence']:.2f}), entities "
        f"{[e['value'] for e in d['detected_entities']]}, sufficient={d['has_sufficient_context']}"),
    "SuggestionsProvided": lambda d: " | ".join(
        f"{c['title']} ({c['confidence']:.2f}): \"{c['snippet'][c['highlight'][0]:c['highlight'][1]]}\""
        for c in d["suggestions"]),
    "ClarifyingQuestionsAsked": lambda d: " | ".join(q["text"] for q in d["questions"]),
    "ClarifyingQuestionAnswered": lambda d: f"{d['slot']} answered",
    "AgentActionRecorded": lambda d: f"{d['agent']}.{d['action']} {d['processing_ms']:.1f} ms",
    "CallAnalyzed": lambda d: (
        f"{d['analysis']['disposition']['value']} ({d['analysis']['disposition']['confidence']:.2f}), "
        f"{d['analysis']['resolution']}, intent {d['analysis']['intent']['name']}: {d['analysis']['summary']['text']}"
        + "".join(f"\n      {name} = {f['value']!r} ({f['confidence']:.2f})"
                  for name, f in d['analysis']['fields'].items() if f['value'] is not None)),
    "ReviewRequested": lambda d: "; ".join(d["reasons"]),
    "AnalysisApproved": lambda d: f"revision {d['revision']} by {d['approved_by']}",
}
# Running state that only analyzers read: not shown in the live view.
QUIET_TYPES = frozenset({"SignalsTracked", "RuleWindowsAdvanced", "AgentActionRecorded"})


def describe_event(event: dict[str, Any]) -> str:
    data = event["data"]
    kind = event["type"]
    describe = _DESCRIBE.get(kind)
    try:
        detail = describe(data) if describe else ", ".join(f"{k}={v}" for k, v in data.items())[:160]
    except (KeyError, TypeError, ValueError):  # a newer event version than this client knows: show it raw
        detail = ", ".join(f"{k}={v}" for k, v in data.items())[:160]
    return f"[{event['call_id']} #{event['seq']:>3}] {kind:<18} {detail}"


async def replay_files(files: list[Path], *, url: str, speed: float, concurrency: int, api_key: str | None,
                       quiet: bool, wrap_up_seconds: float = 10.0) -> bool:
    transcripts = [(path, load_transcript(path)) for path in files]  # fail on a bad file before sending
    run = uuid.uuid4().hex[:6]

    def show(event: dict[str, Any]) -> None:
        if not quiet and event["type"] not in QUIET_TYPES:
            typer.echo(describe_event(event))

    async with client_for(url, api_key) as client:
        jobs = []
        for path, transcript in transcripts:
            base = transcript.call_id or path.stem
            for copy in range(concurrency):
                call_id = f"{base}-{run}" + (f"-{copy}" if concurrency > 1 else "")
                jobs.append(replay_call(client, transcript, call_id=call_id, speed=speed, on_event=show,
                                        wrap_up_seconds=wrap_up_seconds))
        results = await asyncio.gather(*jobs, return_exceptions=True)
    ok = True
    for result in results:
        if isinstance(result, ReplayResult):
            typer.echo(f"{result.call_id}: {result.sent} segments acknowledged, {len(result.events)} events "
                       f"streamed back, {result.retries} retries, {result.stream_reconnects} stream reconnects")
        else:
            ok = False
            typer.echo(f"error: {result}", err=True)
    return ok
