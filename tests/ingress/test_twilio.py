"""Twilio Media Streams translation: connected/start/media/mark/dtmf/stop in, call events out (no network)."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

from callpilot.ingress.base import AudioReceived, IngressEvent, Problem, ProtocolError, StreamStarted, StreamStopped
from callpilot.ingress.twilio import TwilioTranslator
from callpilot.speech.codecs import ulaw_decode, ulaw_encode

MULAW = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
FRAME = 160  # 20 ms at 8 kHz, one byte a sample


def _payload(seed: int, n: int = FRAME) -> bytes:
    rng = np.random.default_rng(seed)
    return ulaw_encode(rng.integers(-8000, 8000, n).astype(np.int16))


def connected() -> str:
    return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})


def start(seq: int = 1, *, tracks: list[str] | None = None, params: dict[str, Any] | None = None,
          media_format: dict[str, Any] | None = None, call_sid: str = "CA123") -> str:
    return json.dumps({"event": "start", "sequenceNumber": str(seq), "streamSid": "MZ1", "start": {
        "streamSid": "MZ1", "accountSid": "AC1", "callSid": call_sid,
        "tracks": ["inbound", "outbound"] if tracks is None else tracks,
        "customParameters": {"call_id": "call-42", "agent_id": "agent-7"} if params is None else params,
        "mediaFormat": MULAW if media_format is None else media_format}})


def media(seq: int, track: str, payload: bytes | str, *, timestamp: int = 0, chunk: int = 1) -> str:
    data = payload if isinstance(payload, str) else base64.b64encode(payload).decode()
    return json.dumps({"event": "media", "sequenceNumber": str(seq), "streamSid": "MZ1", "media": {
        "track": track, "chunk": str(chunk), "timestamp": str(timestamp), "payload": data}})


def mark(seq: int) -> str:
    return json.dumps({"event": "mark", "sequenceNumber": str(seq), "streamSid": "MZ1", "mark": {"name": "m1"}})


def dtmf(seq: int) -> str:
    return json.dumps({"event": "dtmf", "sequenceNumber": str(seq), "streamSid": "MZ1",
                       "dtmf": {"track": "inbound_track", "digit": "4"}})


def stop(seq: int) -> str:
    return json.dumps({"event": "stop", "sequenceNumber": str(seq), "streamSid": "MZ1",
                       "stop": {"accountSid": "AC1", "callSid": "CA123"}})


def _started() -> TwilioTranslator:
    t = TwilioTranslator()
    assert t.on_text(connected()) == []
    assert isinstance(t.on_text(start())[0], StreamStarted)
    return t


def _audio(events: list[IngressEvent]) -> list[AudioReceived]:
    assert all(isinstance(e, AudioReceived) for e in events), events
    return [e for e in events if isinstance(e, AudioReceived)]


def test_happy_path() -> None:
    t = TwilioTranslator()
    assert t.on_text(connected()) == []
    assert not t.started

    (started,) = t.on_text(start())
    assert isinstance(started, StreamStarted)
    assert t.started and not t.stopped
    assert started.call_id == "call-42" and started.call.call_id == "call-42"
    assert started.call.agent_id == "agent-7"
    assert started.roles == ["customer", "agent"]
    assert started.sample_rate == 8000
    assert started.call.acd_metadata == {"source": "twilio", "call_sid": "CA123", "stream_sid": "MZ1"}

    inbound, outbound = _payload(1), _payload(2)
    (heard,) = _audio(t.on_text(media(2, "inbound", inbound, timestamp=0)))
    assert heard.role == "customer"
    assert heard.pcm.dtype == np.int16
    np.testing.assert_array_equal(heard.pcm, ulaw_decode(inbound))
    (said,) = _audio(t.on_text(media(3, "outbound", outbound, timestamp=0)))
    assert said.role == "agent"
    np.testing.assert_array_equal(said.pcm, ulaw_decode(outbound))
    # the next 20 ms on each track, on time: no filler
    (more,) = _audio(t.on_text(media(4, "inbound", inbound, timestamp=20, chunk=2)))
    np.testing.assert_array_equal(more.pcm, ulaw_decode(inbound))

    assert t.on_text(mark(5)) == []
    assert t.on_text(dtmf(6)) == []
    assert t.problems == 0

    assert t.on_text(stop(7)) == [StreamStopped("completed")]
    assert t.stopped
    assert t.on_disconnect() == []  # already stopped: nothing more


@pytest.mark.parametrize(("params", "call_id", "agent_id"), [
    pytest.param({"call_id": "call-42", "agent_id": "agent-7"}, "call-42", "agent-7", id="custom-parameters"),
    pytest.param({}, "twilio_CA123", "unassigned", id="defaults"),
    pytest.param(None, "call-42", "agent-7", id="helper-defaults"),
])
def test_call_id_and_agent(params: dict[str, Any] | None, call_id: str, agent_id: str) -> None:
    (started,) = TwilioTranslator().on_text(start(params=params))
    assert isinstance(started, StreamStarted)
    assert (started.call_id, started.call.agent_id) == (call_id, agent_id)


@pytest.mark.parametrize(("tracks", "roles"), [
    pytest.param(["inbound"], ["customer"], id="inbound-only"),
    pytest.param(["outbound"], ["agent"], id="outbound-only"),
    pytest.param(["inbound", "outbound"], ["customer", "agent"], id="both"),
])
def test_tracks_to_roles(tracks: list[str], roles: list[str]) -> None:
    (started,) = TwilioTranslator().on_text(start(tracks=tracks))
    assert isinstance(started, StreamStarted) and started.roles == roles


@pytest.mark.parametrize(("before", "message", "match"), [
    pytest.param([], media(2, "inbound", _payload(1)), "before start", id="media-before-start"),
    pytest.param([], stop(2), "before start", id="stop-before-start"),
    pytest.param([start()], start(2), "second start", id="second-start"),
    pytest.param([], start(media_format={"encoding": "audio/l16", "sampleRate": 8000, "channels": 1}),
                 "mediaFormat", id="wrong-encoding"),
    pytest.param([], start(media_format={"encoding": "audio/x-mulaw", "sampleRate": 16000, "channels": 1}),
                 "mediaFormat", id="wrong-rate"),
    pytest.param([], start(media_format={"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 2}),
                 "mediaFormat", id="wrong-channels"),
    pytest.param([], start(media_format={}), "mediaFormat", id="no-media-format"),
    pytest.param([], start(tracks=["inbound", "sideways"]), "sideways", id="unknown-track"),
    pytest.param([], start(call_sid=""), "callSid", id="no-call-sid"),
    pytest.param([], json.dumps({"event": "start"}), "callSid", id="no-start-object"),
])
def test_fatal_input(before: list[str], message: str, match: str) -> None:
    t = TwilioTranslator()
    for m in before:
        t.on_text(m)
    with pytest.raises(ProtocolError, match=match):
        t.on_text(message)


@pytest.mark.parametrize("message", [
    pytest.param(start(params={"call_id": "has spaces!", "agent_id": "a1"}), id="bad-custom-call-id"),
    pytest.param(start(media_format={"encoding": "audio/x-mulaw", "sampleRate": "eight", "channels": 1}),
                 id="non-numeric-sample-rate"),
])
def test_malformed_start_is_a_protocol_error(message: str) -> None:
    with pytest.raises(ProtocolError):
        TwilioTranslator().on_text(message)


@pytest.mark.parametrize(("message", "match"), [
    pytest.param(media(2, "inbound", "!!not base64!!"), "base64", id="bad-base64"),
    pytest.param(media(2, "inbound", "QUJ"), "base64", id="bad-base64-padding"),
    pytest.param(media(2, "outbound_track", _payload(1)), "outbound_track", id="track-not-started"),
    pytest.param("{not json", "not JSON", id="non-json"),
    pytest.param("[1, 2]", "JSON object", id="json-array"),
    pytest.param(json.dumps({"event": "surprise", "sequenceNumber": "2"}), "surprise", id="unknown-event"),
])
def test_survivable_input(message: str, match: str) -> None:
    t = _started()
    (problem,) = t.on_text(message)
    assert isinstance(problem, Problem) and match in problem.message
    assert t.problems == 1 and not t.stopped
    # the stream goes on
    (heard,) = _audio(t.on_text(media(10, "inbound", _payload(3))))
    np.testing.assert_array_equal(heard.pcm, ulaw_decode(_payload(3)))


def test_binary_frame_is_a_problem() -> None:
    t = _started()
    (problem,) = t.on_bytes(b"\x00\x01\x02")
    assert isinstance(problem, Problem) and "binary" in problem.message
    assert t.problems == 1 and not t.stopped


@pytest.mark.parametrize(("first_seq", "second_seq"), [
    pytest.param(5, 4, id="older"),
    pytest.param(5, 5, id="repeat"),
])
def test_out_of_order_media_is_dropped(first_seq: int, second_seq: int) -> None:
    t = _started()
    assert len(_audio(t.on_text(media(first_seq, "inbound", _payload(1))))) == 1
    (problem,) = t.on_text(media(second_seq, "inbound", _payload(2), timestamp=20))
    assert isinstance(problem, Problem) and "out-of-order" in problem.message
    assert problem.details == {"sequence": str(second_seq)}
    assert t.problems == 1
    assert len(_audio(t.on_text(media(first_seq + 1, "inbound", _payload(3), timestamp=20)))) == 1


@pytest.mark.parametrize(("timestamp", "filler"), [
    pytest.param(20, 0, id="on-time"),
    pytest.param(60, 0, id="within-tolerance"),  # 40 ms late: not a gap
    pytest.param(220, 1600, id="200ms-gap"),
    pytest.param(1020, 8000, id="1s-gap"),
])
def test_timestamp_gap_is_filled_with_silence(timestamp: int, filler: int) -> None:
    t = _started()
    _audio(t.on_text(media(2, "inbound", _payload(1), timestamp=0)))  # 0-20 ms received
    events = _audio(t.on_text(media(3, "inbound", _payload(2), timestamp=timestamp)))
    if filler:
        gap, audio = events
        assert gap.role == "customer" and gap.pcm.dtype == np.int16
        assert len(gap.pcm) == filler and not gap.pcm.any()
    else:
        (audio,) = events
    np.testing.assert_array_equal(audio.pcm, ulaw_decode(_payload(2)))
    # the other track keeps its own clock
    (said,) = _audio(t.on_text(media(4, "outbound", _payload(3), timestamp=0)))
    assert len(said.pcm) == FRAME


@pytest.mark.parametrize(("messages", "expected"), [
    pytest.param([start()], [StreamStopped("dropped")], id="after-start"),
    pytest.param([start(), media(2, "inbound", _payload(1))], [StreamStopped("dropped")], id="after-media"),
    pytest.param([start(), stop(2)], [], id="after-stop"),
    pytest.param([connected()], [], id="before-start"),
])
def test_disconnect(messages: list[str], expected: list[IngressEvent]) -> None:
    t = TwilioTranslator()
    for m in messages:
        t.on_text(m)
    assert t.on_disconnect() == expected
    assert t.on_disconnect() == []  # once only


@pytest.mark.parametrize("bad", [
    pytest.param(lambda t: t.on_bytes(b"\x00"), id="binary"),
    pytest.param(lambda t: t.on_text("nope"), id="non-json"),
    pytest.param(lambda t: t.on_text(media(2, "inbound", "***")), id="bad-base64"),
])
def test_too_many_problems_is_fatal(bad: Any) -> None:
    t = _started()
    t.max_problems = 3
    for _ in range(3):
        (problem,) = bad(t)
        assert isinstance(problem, Problem)
    with pytest.raises(ProtocolError, match="more than 3 bad messages"):
        bad(t)
