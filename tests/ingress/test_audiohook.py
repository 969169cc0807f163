"""Genesys AudioHook (monitor mode) translation: open/ping/paused/resumed/close and binary PCMU frames."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from callpilot.ingress.audiohook import PROBE_CONVERSATION, AudioHookTranslator
from callpilot.ingress.base import (
    AudioReceived,
    IngressEvent,
    Problem,
    ProtocolError,
    Reply,
    StreamStarted,
    StreamStopped,
)
from callpilot.speech.codecs import ulaw_decode, ulaw_encode

SESSION = "e160e428-53e2-487c-977d-96989bf5c99d"
CONVERSATION = "090eaa2f-72fa-480a-83e0-8667ff89c0ec"
PCMU_STEREO = {"type": "audio", "format": "PCMU", "channels": ["external", "internal"], "rate": 8000}
PCMU_EXTERNAL = {"type": "audio", "format": "PCMU", "channels": ["external"], "rate": 8000}
L16 = {"type": "audio", "format": "L16", "channels": ["external", "internal"], "rate": 16000}


def msg(kind: str, seq: int, parameters: dict[str, Any] | None = None) -> str:
    return json.dumps({"version": "2", "type": kind, "seq": seq, "serverseq": 0, "id": SESSION,
                       "parameters": parameters or {}})


def open_msg(*, media: list[dict[str, Any]] | None = None, conversation: str = CONVERSATION,
             custom: dict[str, Any] | None = None, seq: int = 1) -> str:
    return msg("open", seq, {
        "organizationId": "d7934305-0972-4844-938e-9060eef73d05", "conversationId": conversation,
        "participant": {"id": "883efee8-3d6c-4537-b500-6d7ca4b92fa0", "ani": "+15551234567",
                        "aniName": "John Doe", "dnis": "+15557654321"},
        "media": [PCMU_STEREO, PCMU_EXTERNAL] if media is None else media,
        "language": "en-US", **({"customConfig": custom} if custom is not None else {})})


def _replies(events: list[IngressEvent]) -> list[Reply]:
    return [e for e in events if isinstance(e, Reply)]


def _opened() -> AudioHookTranslator:
    t = AudioHookTranslator()
    t.on_text(open_msg())
    assert t.started
    return t


def test_first_message_deadline_is_within_genesys_limit() -> None:
    assert 0 < AudioHookTranslator.first_message_seconds <= 5
    assert AudioHookTranslator().first_message_seconds <= 5


def test_open_starts_the_call_and_answers_opened() -> None:
    t = AudioHookTranslator()
    events = t.on_text(open_msg())
    started, opened = events
    assert isinstance(started, StreamStarted)
    assert started.roles == ["customer", "agent"]
    assert started.sample_rate == 8000
    assert started.call_id == f"genesys_{CONVERSATION}"
    assert started.call.agent_id == "unassigned"
    assert started.call.acd_metadata["conversation_id"] == CONVERSATION
    assert started.call.acd_metadata["session_id"] == SESSION

    assert isinstance(opened, Reply) and not opened.close
    assert opened.message["type"] == "opened"
    assert opened.message["seq"] == 1 and opened.message["clientseq"] == 1
    assert opened.message["id"] == SESSION
    assert opened.message["parameters"]["media"] == [PCMU_STEREO]
    assert t.started and t.opened and not t.probe and t.channels == ["external", "internal"]


@pytest.mark.parametrize(("media", "chosen", "roles"), [
    pytest.param([PCMU_STEREO], PCMU_STEREO, ["customer", "agent"], id="stereo"),
    pytest.param([L16, PCMU_EXTERNAL], PCMU_EXTERNAL, ["customer"], id="skips-unsupported"),
    pytest.param([PCMU_EXTERNAL, PCMU_STEREO], PCMU_EXTERNAL, ["customer"], id="first-supported"),
])
def test_media_choice(media: list[dict[str, Any]], chosen: dict[str, Any], roles: list[str]) -> None:
    started, opened = AudioHookTranslator().on_text(open_msg(media=media))
    assert isinstance(started, StreamStarted) and started.roles == roles
    assert isinstance(opened, Reply) and opened.message["parameters"]["media"] == [chosen]


def test_custom_config_names_the_call() -> None:
    started, _ = AudioHookTranslator().on_text(open_msg(custom={"call_id": "call-9", "agent_id": "agent-3"}))
    assert isinstance(started, StreamStarted)
    assert (started.call_id, started.call.agent_id) == ("call-9", "agent-3")


def test_session_ping_pause_resume_audio_close() -> None:
    t = _opened()
    (pong,) = t.on_text(msg("ping", 2))
    assert isinstance(pong, Reply) and not pong.close
    assert (pong.message["type"], pong.message["seq"], pong.message["clientseq"]) == ("pong", 2, 2)

    assert t.on_text(msg("paused", 3)) == [] and t.paused
    assert t.on_text(msg("resumed", 4)) == [] and not t.paused

    external = ulaw_encode(np.linspace(-6000, 6000, 160).astype(np.int16))
    internal = ulaw_encode(np.linspace(3000, -3000, 160).astype(np.int16))
    frame = bytes(b for pair in zip(external, internal, strict=True) for b in pair)
    customer, agent = t.on_bytes(frame)
    assert isinstance(customer, AudioReceived) and isinstance(agent, AudioReceived)
    assert (customer.role, agent.role) == ("customer", "agent")
    np.testing.assert_array_equal(customer.pcm, ulaw_decode(frame[0::2]))
    np.testing.assert_array_equal(customer.pcm, ulaw_decode(external))
    np.testing.assert_array_equal(agent.pcm, ulaw_decode(internal))
    assert customer.pcm.flags.c_contiguous and customer.pcm.dtype == np.int16

    assert t.on_text(msg("update", 5)) == []
    stopped, closed = t.on_text(msg("close", 6, {"reason": "end"}))
    assert stopped == StreamStopped("completed")
    assert isinstance(closed, Reply) and closed.close
    assert (closed.message["type"], closed.message["seq"], closed.message["clientseq"]) == ("closed", 3, 6)
    assert t.stopped
    assert t.on_disconnect() == []


def test_probe_answers_and_starts_nothing() -> None:
    t = AudioHookTranslator()
    events = t.on_text(open_msg(conversation=PROBE_CONVERSATION))
    assert not any(isinstance(e, StreamStarted) for e in events)
    (opened,) = _replies(events)
    assert opened.message["type"] == "opened" and not opened.close
    assert opened.message["parameters"]["media"] == [PCMU_STEREO]
    assert t.probe and t.opened and not t.started

    (closed,) = t.on_text(msg("close", 2))
    assert isinstance(closed, Reply) and closed.close and closed.message["type"] == "closed"
    assert t.stopped
    assert t.on_disconnect() == []


@pytest.mark.parametrize(("action", "match"), [
    pytest.param(lambda t: t.on_bytes(b"\xff\xff"), "audio before open", id="audio-before-open"),
    pytest.param(lambda t: t.on_text(msg("ping", 1)), "'ping' before open", id="ping-before-open"),
    pytest.param(lambda t: t.on_text(msg("ping", 7)), "'ping' before open", id="ping-wrong-seq-before-open"),
    pytest.param(lambda t: t.on_text("{nope"), "not JSON", id="non-json"),
    pytest.param(lambda t: t.on_text("[1]"), "without a type", id="json-array"),
    pytest.param(lambda t: t.on_text(json.dumps({"seq": 1})), "without a type", id="no-type"),
])
def test_fatal_input(action: Any, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        action(AudioHookTranslator())


def test_non_json_after_open_is_fatal() -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        _opened().on_text("not json at all")


@pytest.mark.parametrize("message", [
    pytest.param(msg("ping", 3), id="gap"),
    pytest.param(msg("ping", 1), id="repeat"),
    pytest.param(json.dumps({"type": "ping", "id": SESSION}), id="missing-seq"),
    pytest.param(msg("open", 2), id="second-open"),
])
def test_seq_error_disconnects(message: str) -> None:
    t = _opened()
    events = t.on_text(message)
    stopped, disconnect = events
    assert stopped == StreamStopped("failed")
    assert isinstance(disconnect, Reply) and disconnect.close
    assert disconnect.message["type"] == "disconnect"
    assert disconnect.message["parameters"]["reason"] == "error"
    assert t.stopped
    assert t.on_disconnect() == []


@pytest.mark.parametrize("media", [
    pytest.param([L16], id="only-l16"),
    pytest.param([], id="none"),
    pytest.param([{**PCMU_STEREO, "rate": 16000}], id="pcmu-16k"),
    pytest.param([{**PCMU_STEREO, "channels": ["external", "side"]}], id="unknown-channel"),
])
def test_no_supported_media_disconnects(media: list[dict[str, Any]]) -> None:
    t = AudioHookTranslator()
    (disconnect,) = t.on_text(open_msg(media=media))
    assert isinstance(disconnect, Reply) and disconnect.close
    assert disconnect.message["type"] == "disconnect"
    assert "PCMU" in disconnect.message["parameters"]["info"]
    assert not t.started and t.stopped


def test_bad_custom_call_id_disconnects() -> None:
    t = AudioHookTranslator()
    events = t.on_text(open_msg(custom={"call_id": "not a valid id!"}))
    assert [e.message["type"] for e in _replies(events)] == ["disconnect"]


@pytest.mark.parametrize(("frame", "expected_problem"), [
    pytest.param(b"\xff" * 321, True, id="odd-length-stereo"),
    pytest.param(b"\xff", True, id="one-byte-stereo"),
    pytest.param(b"", False, id="empty"),
    pytest.param(b"\xff" * 320, False, id="whole-frame"),
])
def test_frame_length(frame: bytes, expected_problem: bool) -> None:
    t = _opened()
    events = t.on_bytes(frame)
    if expected_problem:
        (problem,) = events
        assert isinstance(problem, Problem) and "2-channel" in problem.message
        assert t.problems == 1
    else:
        assert [type(e) for e in events] == [AudioReceived, AudioReceived]
        assert all(len(e.pcm) == len(frame) // 2 for e in events if isinstance(e, AudioReceived))


def test_mono_frame_is_all_customer() -> None:
    t = AudioHookTranslator()
    t.on_text(open_msg(media=[PCMU_EXTERNAL]))
    (audio,) = t.on_bytes(b"\x10\x20\x30")
    assert isinstance(audio, AudioReceived) and audio.role == "customer"
    np.testing.assert_array_equal(audio.pcm, ulaw_decode(b"\x10\x20\x30"))


@pytest.mark.parametrize("setup", [
    pytest.param(lambda t: t.on_text(open_msg(conversation=PROBE_CONVERSATION)), id="probe"),
    pytest.param(lambda t: (t.on_text(open_msg()), t.on_text(msg("close", 2))), id="after-close"),
])
def test_audio_on_probe_or_closed_is_dropped(setup: Any) -> None:
    t = AudioHookTranslator()
    setup(t)
    (problem,) = t.on_bytes(b"\xff\xff")
    assert isinstance(problem, Problem)


def test_unknown_message_type_is_a_problem() -> None:
    t = _opened()
    (problem,) = t.on_text(msg("teleport", 2))
    assert isinstance(problem, Problem) and "teleport" in problem.message
    (pong,) = t.on_text(msg("ping", 3))
    assert isinstance(pong, Reply) and pong.message["type"] == "pong"


@pytest.mark.parametrize(("messages", "expected"), [
    pytest.param([open_msg()], [StreamStopped("dropped")], id="open"),
    pytest.param([open_msg(conversation=PROBE_CONVERSATION)], [], id="probe"),
    pytest.param([], [], id="never-opened"),
])
def test_disconnect(messages: list[str], expected: list[IngressEvent]) -> None:
    t = AudioHookTranslator()
    for m in messages:
        t.on_text(m)
    assert t.on_disconnect() == expected
