"""``callpilot demo`` (what ``make demo`` runs) opens onto pages where the sample call plays out live."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import free_port
from tests.web.conftest import page_errors


@pytest.fixture
def demo(tmp_path: Path, server: Any) -> Any:  # `server` only for its skip when there is no browser
    port = free_port()
    log = tmp_path / "demo.log"
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "callpilot", "demo", "--keep-serving", "--speed", "25", "--start-delay", "6",
         "--port", str(port), "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "the call starts in" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        agent = re.search(r"agent desktop:\s+(\S+)", text)
        supervisor = re.search(r"supervisor:\s+(\S+)", text)
        assert agent and supervisor, text
        yield agent.group(1), supervisor.group(1)
    finally:
        process.terminate()
        process.wait(30)


def test_the_demo_call_plays_out_live_with_suggestions_alerts_sentiment_and_the_wrap_up(
        context: Any, demo: tuple[str, str]) -> None:
    agent_url, supervisor_url = demo
    agent = context.new_page()
    errors = page_errors(agent)
    agent.goto(agent_url)  # signs in with the key in the fragment
    expect(agent.locator("#conn")).to_have_text("waiting for a call")
    supervisor = context.new_page()
    supervisor.goto(supervisor_url.split("#")[0])  # the same browser: already signed in
    expect(agent.locator("#call-title")).to_contain_text("Call sample-home-booking", timeout=30_000)
    expect(supervisor.locator('#calls-body tr[data-call^="sample-home-booking"]')).to_be_visible()
    expect(agent.locator("#transcript li.partial, #transcript li[data-segment]").first).to_be_visible()
    expect(agent.locator("#cards li.card").first).to_be_visible(timeout=30_000)
    expect(agent.locator("#alerts li.alert.sev-critical")).to_contain_text("guarantee", timeout=30_000)
    expect(agent.locator("#sentiment-text")).not_to_have_text("–")
    wrapup = agent.get_by_role("region", name="Wrap-up")
    expect(wrapup.get_by_label("Summary")).not_to_be_empty(timeout=60_000)
    expect(wrapup.get_by_role("button", name="Approve")).to_be_visible()
    assert errors == []
