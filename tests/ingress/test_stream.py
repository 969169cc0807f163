"""run_stream end to end with a fake peer and a fake speech service: however a connection ends, the call ends."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from callpilot.core.errors import StorageUnavailable
from callpilot.ingress.audiohook import PROBE_CONVERSATION, AudioHookTranslator
from callpilot.ingress.base import Translator
from callpilot.ingress.browser import BrowserTranslator
from callpilot.ingress.stream import run_stream
from callpilot.ingress.twilio import TwilioTranslator
from tests.ingress.test_audiohook import msg as ah_msg
from tests.ingress.test_audiohook import open_msg as ah_open
from tests.ingress.test_twilio import _payload
from tests.ingress.test_twilio import media as tw_media
from tests.ingress.test_twilio import start as tw_start
from tests.ingress.test_twilio import stop as tw_stop

LONG = 5.0  # an idle timeout no case should reach
SHORT = 0.05

BROWSER_START = json.dumps({"type": "start", "call_id": "call-1", "agent_id": "agent-1", "sample_rate": 16000})
BROWSER_STOP = json.dumps({"type": "stop"})
FRAME = (np.arange(320, dtype=np.int16) * 50).astype("<i2").tobytes()  # 20 ms at 16 kHz


class FakePeer:
    def __init__(self, messages: list[str | bytes | None], log: list[tuple[Any, ...]], *,
                 send_fails: bool = False) -> None:
        self.queue: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        for m in messages:
            self.queue.put_nowait(m)
        self.log = log
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.send_fails = send_fails
        self.waiting = asyncio.Event()  # set once every queued message has been taken

    async def receive(self) -> str | bytes | None:
        if self.queue.empty():
            self.waiting.set()
        return await self.queue.get()  # an empty queue is a peer that says nothing

    async def send_json(self, message: dict[str, Any]) -> None:
        self.log.append(("send", message.get("type")))
        if self.send_fails:
            raise ConnectionResetError("peer gone")
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.log.append(("close", code))
        self.closed = (code, reason)


@dataclass
class FakeAudioCall:
    log: list[tuple[Any, ...]]
    push_error: Exception | None = None
    finals: list[Any] = field(default_factory=list)
    pushed: list[tuple[str, np.ndarray]] = field(default_factory=list)
    started_with: Any = None
    ended: list[str] = field(default_factory=list)

    async def start(self, call: Any) -> None:
        self.log.append(("start", call.call_id))
        self.started_with = call

    async def push(self, role: str, pcm: np.ndarray) -> list[Any]:
        if self.push_error is not None:
            raise self.push_error
        self.log.append(("push", role, len(pcm)))
        self.pushed.append((role, pcm.copy()))
        self.finals.append(SimpleNamespace(latency_ms=10.0 * len(self.finals)))
        return []

    async def end(self, status: str = "completed") -> None:
        self.log.append(("end", status))
        self.ended.append(status)


@dataclass
class FakeSpeech:
    log: list[tuple[Any, ...]]
    push_error: Exception | None = None
    opened: list[tuple[str, list[str], int, str | None]] = field(default_factory=list)
    calls: list[FakeAudioCall] = field(default_factory=list)

    def open_call(self, call_id: str, roles: list[str], *, source_rate: int,
                  trace_id: str | None = None) -> FakeAudioCall:
        self.log.append(("open", call_id))
        self.opened.append((call_id, roles, source_rate, trace_id))
        call = FakeAudioCall(self.log, push_error=self.push_error)
        self.calls.append(call)
        return call


@dataclass(frozen=True)
class Case:
    translator: Any  # a factory: a fresh translator per run
    messages: list[str | bytes | None]
    status: str | None
    sent: list[str]  # the types of the messages sent back
    close: int | None
    pushes: int
    error: str | None = None
    idle: float = LONG
    opened: bool = True  # a call was opened


def _browser() -> Translator:
    return BrowserTranslator(default_call_id="call_default")


def _quick_browser() -> Translator:
    t = _browser()
    t.first_message_seconds = SHORT  # on the instance: the class keeps its 10 s
    return t


def _quick_audiohook() -> Translator:
    t = AudioHookTranslator()
    t.first_message_seconds = SHORT
    return t


CASES = [
    pytest.param(Case(_browser, [BROWSER_START, FRAME, FRAME, BROWSER_STOP], "completed", ["started", "stopped"],
                      1000, 2), id="browser-clean"),
    pytest.param(Case(_browser, [BROWSER_START, FRAME, FRAME, FRAME, None], "dropped", ["started"], None, 3),
                 id="browser-disconnect-without-stop"),
    pytest.param(Case(_browser, [None], None, [], None, 0, opened=False), id="browser-disconnect-before-start"),
    pytest.param(Case(_quick_browser, [], "failed", ["error"], 1008, 0, error="no open/start message",
                      opened=False), id="browser-silent-peer"),
    pytest.param(Case(_quick_audiohook, [], "failed", ["error"], 1008, 0, error="no open/start message",
                      opened=False), id="audiohook-silent-peer"),
    pytest.param(Case(_browser, [BROWSER_START, FRAME, FRAME], "failed", ["started", "error"], 1008, 2,
                      error="no audio", idle=SHORT), id="browser-idle-after-start"),
    pytest.param(Case(_browser, [BROWSER_START, FRAME, json.dumps({"type": "pause"})], "failed",
                      ["started", "error"], 1008, 1, error="unknown message type"),
                 id="browser-protocol-error-mid-call"),
    pytest.param(Case(_browser, [BROWSER_START, b"\x00" * 3, FRAME, BROWSER_STOP], "completed",
                      ["started", "stopped"], 1000, 1), id="browser-problem-survived"),
    pytest.param(Case(TwilioTranslator, [tw_start(), tw_media(2, "inbound", _payload(1)),
                                         tw_media(3, "outbound", _payload(2)), tw_stop(4)],
                      "completed", [], None, 2), id="twilio-clean"),
    pytest.param(Case(TwilioTranslator, [tw_start(), tw_media(2, "inbound", _payload(1)), None],
                      "dropped", [], None, 1), id="twilio-dropped"),
    pytest.param(Case(AudioHookTranslator, [ah_open(), ah_msg("ping", 2), b"\xff" * 320, ah_msg("close", 3)],
                      "completed", ["opened", "pong", "closed"], 1000, 2), id="audiohook-clean"),
    pytest.param(Case(AudioHookTranslator, [ah_open(), b"\xff" * 320, ah_msg("ping", 5)],
                      "failed", ["opened", "disconnect"], 1000, 2), id="audiohook-seq-gap"),
    pytest.param(Case(AudioHookTranslator, [ah_open(conversation=PROBE_CONVERSATION), ah_msg("close", 2)],
                      None, ["opened", "closed"], 1000, 0, opened=False), id="audiohook-probe"),
]


@pytest.mark.parametrize("case", CASES)
async def test_run_stream(case: Case) -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer(case.messages, log), FakeSpeech(log)
    result = await asyncio.wait_for(
        run_stream(peer, case.translator(), speech, idle_seconds=case.idle, trace_id="trace-1"),  # type: ignore[arg-type]
        timeout=2)

    assert result.status == case.status
    assert [m["type"] for m in peer.sent] == case.sent
    assert (peer.closed[0] if peer.closed else None) == case.close
    if case.error is None:
        assert result.error is None
    else:
        assert result.error is not None and case.error in result.error
        assert case.error in peer.sent[-1]["message"]

    if case.opened:
        (call,) = speech.calls
        assert speech.opened[0][3] == "trace-1"
        # every push the peer made was handed over, and all before the call ended
        assert len(call.pushed) == case.pushes
        assert call.ended == [case.status or "dropped"]
        assert log.index(("end", call.ended[0])) > max(
            (i for i, e in enumerate(log) if e[0] == "push"), default=-1)
        assert result.finals == case.pushes
        assert result.latencies_ms == [10.0 * i for i in range(case.pushes)]
    else:
        assert speech.calls == [] and result.call_id is None
    if peer.closed:
        assert log[-1][0] == "close"  # the close comes after the call is ended


async def test_silent_peer_opens_no_call() -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer([], log), FakeSpeech(log)
    translator = _quick_browser()
    assert BrowserTranslator.first_message_seconds == 10.0
    result = await asyncio.wait_for(run_stream(peer, translator, speech, idle_seconds=LONG), timeout=2)  # type: ignore[arg-type]
    assert result.error is not None and "no open/start message" in result.error and "0.05" in result.error
    assert peer.sent == [{"type": "error", "message": result.error}]
    assert peer.closed is not None and peer.closed[0] == 1008
    assert speech.opened == [] and result.call_id is None


async def test_idle_stream_keeps_what_was_pushed() -> None:
    log: list[tuple[Any, ...]] = []
    frames = [(np.full(320, i, dtype=np.int16)).tobytes() for i in range(1, 4)]
    peer, speech = FakePeer([BROWSER_START, *frames], log), FakeSpeech(log)
    result = await asyncio.wait_for(run_stream(peer, _browser(), speech, idle_seconds=SHORT), timeout=2)  # type: ignore[arg-type]
    (call,) = speech.calls
    assert result.status == "failed" and result.call_id == "call-1"
    assert call.ended == ["failed"]
    assert [int(pcm[0]) for _, pcm in call.pushed] == [1, 2, 3]
    assert [e[0] for e in log] == ["send", "open", "start", "push", "push", "push", "send", "end", "close"]


async def test_opened_is_sent_before_the_call_is_started() -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer([ah_open(), None], log), FakeSpeech(log)
    await asyncio.wait_for(run_stream(peer, AudioHookTranslator(), speech, idle_seconds=LONG), timeout=2)  # type: ignore[arg-type]
    assert log[:3] == [("send", "opened"), ("open", speech.opened[0][0]), ("start", speech.opened[0][0])]
    assert speech.opened[0][1:3] == (["customer", "agent"], 8000)


async def test_a_peer_that_cannot_be_told_still_ends_the_call() -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer([BROWSER_START, FRAME, BROWSER_STOP], log, send_fails=True), FakeSpeech(log)
    result = await asyncio.wait_for(run_stream(peer, _browser(), speech, idle_seconds=LONG), timeout=2)  # type: ignore[arg-type]
    assert result.status == "completed" and speech.calls[0].ended == ["completed"]


async def test_a_failing_call_is_1011_and_still_ended() -> None:
    log: list[tuple[Any, ...]] = []
    peer = FakePeer([BROWSER_START, FRAME, BROWSER_STOP], log)
    speech = FakeSpeech(log, push_error=StorageUnavailable("database down"))
    result = await asyncio.wait_for(run_stream(peer, _browser(), speech, idle_seconds=LONG), timeout=2)  # type: ignore[arg-type]
    assert result.status == "failed" and result.error == "database down"
    assert peer.closed is not None and peer.closed[0] == 1011
    assert speech.calls[0].ended == ["failed"]
    assert peer.sent[-1] == {"type": "error", "message": "database down"}


async def test_cancelled_connection_still_ends_the_call() -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer([BROWSER_START, FRAME], log), FakeSpeech(log)
    task = asyncio.create_task(run_stream(peer, _browser(), speech, idle_seconds=LONG))  # type: ignore[arg-type]
    await asyncio.wait_for(peer.waiting.wait(), timeout=2)
    assert len(speech.calls[0].pushed) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert speech.calls[0].ended == ["dropped"]


async def test_malformed_start_is_answered_not_raised() -> None:
    log: list[tuple[Any, ...]] = []
    peer, speech = FakePeer([tw_start(params={"call_id": "bad id!", "agent_id": "a1"})], log), FakeSpeech(log)
    result = await asyncio.wait_for(run_stream(peer, TwilioTranslator(), speech, idle_seconds=LONG), timeout=2)  # type: ignore[arg-type]
    assert result.status == "failed" and peer.closed is not None and peer.closed[0] == 1008
