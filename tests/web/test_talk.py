"""Talk mode: the browser's microphone (Chromium's fake capture device, fed a recorded call) streamed as
PCM16 16 kHz over the browser-audio WebSocket, recognised by the server, and shown live as a new call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import expect

from tests.web.conftest import EXPECT_TIMEOUT_MS, KEY, LAUNCH_ARGS, VIEWPORT, Api, Server, chromium_path, page_errors

FIXTURE = Path(__file__).resolve().parents[1] / "speech" / "fixtures" / "call_stereo.flac"


@pytest.fixture
def microphone_browser(server: Server, tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    stereo, rate = sf.read(FIXTURE, dtype="float32")
    wav = tmp_path / "microphone.wav"
    sf.write(wav, stereo.mean(axis=1).astype(np.float32), rate, subtype="PCM_16")  # both speakers, one mic
    args = [*LAUNCH_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


def test_talk_mode_streams_the_microphone_as_a_live_call(microphone_browser: Any, server: Server,
                                                          api: Api) -> None:
    context = microphone_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{server.url}/?call=none-yet#key={KEY}")
    talk = page.get_by_role("button", name="Talk")
    expect(talk).to_be_enabled()
    talk.click()
    expect(talk).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#call-title")).to_contain_text("Call talk-")
    call_id = page.locator("body").get_attribute("data-call")
    assert call_id and call_id.startswith("talk-")
    said = page.locator("#transcript li[data-segment] .text")
    expect(said.first).not_to_be_empty(timeout=60_000)
    talk.click()  # stop: the call ends and its recording is stored
    expect(talk).to_have_attribute("aria-pressed", "false")
    ended = api.wait_for(lambda: api.events(call_id, "CallEnded"), timeout=30)
    assert ended, "the call did not end when talk mode stopped"
    segments = [e["data"] for e in api.events(call_id, "SegmentReceived") if e["data"]["final"]]
    assert segments and all(s["text"].strip() for s in segments)
    # pocketsphinx on a looped, re-captured recording of both speakers: some of the script's words, not all
    heard = set(" ".join(s["text"] for s in segments).lower().split())
    script = {"thank", "calling", "acme", "bank", "name", "help", "today", "card", "lost", "number"}
    assert len(heard & script) >= 2, heard
    assert api.events(call_id, "RecordingStored")
    context.close()
    assert errors == []
