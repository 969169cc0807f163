"""The browser microphone protocol: JSON start, binary PCM16 mono 16 kHz frames, stop."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from callpilot.ingress.base import AudioReceived, Problem, ProtocolError, Reply, StreamStarted, StreamStopped
from callpilot.ingress.browser import MAX_FRAME_BYTES, BrowserTranslator


def start(**fields: Any) -> str:
    return json.dumps({"type": "start", "agent_id": "agent-1", "sample_rate": 16000, **fields})


STOP = json.dumps({"type": "stop"})


def _started(**fields: Any) -> BrowserTranslator:
    t = BrowserTranslator(default_call_id="call_default")
    t.on_text(start(**fields))
    return t


@pytest.mark.parametrize(("fields", "call_id", "role"), [
    pytest.param({}, "call_default", "agent", id="defaults"),
    pytest.param({"call_id": "call-7", "role": "customer"}, "call-7", "customer", id="explicit"),
    pytest.param({"call_id": "c1", "agent_name": "Ann", "queue": "billing", "customer_id": "cust-1",
                  "encoding": "pcm16"}, "c1", "agent", id="all-fields"),
])
def test_start_frames_stop(fields: dict[str, Any], call_id: str, role: str) -> None:
    t = BrowserTranslator(default_call_id="call_default")
    started, ack = t.on_text(start(**fields))
    assert isinstance(started, StreamStarted)
    assert started.call_id == call_id == started.call.call_id
    assert started.roles == [role] and started.sample_rate == 16000
    assert started.call.agent_id == "agent-1" and started.call.acd_metadata == {"source": "browser"}
    assert ack == Reply({"type": "started", "call_id": call_id})
    assert t.started and not t.stopped

    pcm = (np.sin(np.arange(3200) / 10) * 9000).astype(np.int16)  # 200 ms
    for chunk in (pcm, pcm[:2], pcm[::-1]):
        (audio,) = t.on_bytes(chunk.astype("<i2").tobytes())
        assert isinstance(audio, AudioReceived) and audio.role == role
        assert audio.pcm.dtype == np.int16
        np.testing.assert_array_equal(audio.pcm, chunk)

    assert t.on_text(STOP) == [StreamStopped("completed"), Reply({"type": "stopped"}, close=True)]
    assert t.stopped and t.problems == 0
    assert t.on_disconnect() == []


def test_frame_is_little_endian() -> None:
    (audio,) = _started().on_bytes(b"\x01\x00\x00\x80\xff\x7f")
    assert isinstance(audio, AudioReceived)
    assert audio.pcm.tolist() == [1, -32768, 32767]


@pytest.mark.parametrize(("fields", "match"), [
    pytest.param({"sample_rate": 8000}, "16000", id="sample-rate-8000"),
    pytest.param({"sample_rate": 48000}, "16000", id="sample-rate-48000"),
    pytest.param({"agent_id": ""}, "agent_id", id="empty-agent-id"),
    pytest.param({"agent_id": None}, "agent_id", id="null-agent-id"),
    pytest.param({"call_id": "no spaces allowed"}, "call_id", id="bad-call-id"),
    pytest.param({"role": "robot"}, "role", id="bad-role"),
    pytest.param({"encoding": "opus"}, "encoding", id="bad-encoding"),
    pytest.param({"sample_rate": "fast"}, "sample_rate", id="non-numeric-rate"),
    pytest.param({"agent_name": "x" * 201}, "agent_name", id="long-agent-name"),
    pytest.param({"volume": 11}, "volume", id="extra-field"),
])
def test_bad_start(fields: dict[str, Any], match: str) -> None:
    t = BrowserTranslator(default_call_id="call_default")
    with pytest.raises(ProtocolError, match=match):
        t.on_text(start(**fields))
    assert not t.started


def test_missing_agent_id_names_the_field() -> None:
    with pytest.raises(ProtocolError, match="agent_id"):
        BrowserTranslator(default_call_id="c").on_text(json.dumps({"type": "start"}))


@pytest.mark.parametrize(("before", "action", "match"), [
    pytest.param([], lambda t: t.on_bytes(b"\x00\x00"), "audio before the start", id="audio-before-start"),
    pytest.param([], lambda t: t.on_text(STOP), "stop before start", id="stop-before-start"),
    pytest.param([start()], lambda t: t.on_text(start()), "second start", id="second-start"),
    pytest.param([], lambda t: t.on_text(json.dumps({"type": "hello"})), "hello", id="unknown-type"),
    pytest.param([start()], lambda t: t.on_text(json.dumps({"kind": "stop"})), "unknown message type",
                 id="no-type"),
    pytest.param([], lambda t: t.on_text("not json"), "not JSON", id="non-json"),
    pytest.param([], lambda t: t.on_text("[]"), "JSON object", id="json-array"),
])
def test_fatal_input(before: list[str], action: Any, match: str) -> None:
    t = BrowserTranslator(default_call_id="c")
    for m in before:
        t.on_text(m)
    with pytest.raises(ProtocolError, match=match):
        action(t)


@pytest.mark.parametrize("size", [
    pytest.param(1, id="one-byte"),
    pytest.param(3201, id="odd-length"),
    pytest.param(MAX_FRAME_BYTES + 2, id="oversized"),
    pytest.param(MAX_FRAME_BYTES + 1, id="oversized-odd"),
])
def test_bad_frame_is_a_problem(size: int) -> None:
    t = _started()
    (problem,) = t.on_bytes(b"\x00" * size)
    assert isinstance(problem, Problem) and str(size) in problem.message
    assert t.problems == 1 and not t.stopped
    (audio,) = t.on_bytes(b"\x00\x00" * 10)  # the stream goes on
    assert isinstance(audio, AudioReceived) and len(audio.pcm) == 10


def test_largest_frame_is_accepted() -> None:
    (audio,) = _started().on_bytes(b"\x00" * MAX_FRAME_BYTES)
    assert isinstance(audio, AudioReceived) and len(audio.pcm) == MAX_FRAME_BYTES // 2


def test_audio_after_stop_is_a_problem() -> None:
    t = _started()
    t.on_text(STOP)
    (problem,) = t.on_bytes(b"\x00\x00")
    assert isinstance(problem, Problem) and "after stop" in problem.message


@pytest.mark.parametrize(("messages", "expected"), [
    pytest.param([start()], [StreamStopped("dropped")], id="started"),
    pytest.param([start(), STOP], [], id="stopped"),
    pytest.param([], [], id="never-started"),
])
def test_disconnect(messages: list[str], expected: list[Any]) -> None:
    t = BrowserTranslator(default_call_id="c")
    for m in messages:
        t.on_text(m)
    assert t.on_disconnect() == expected
