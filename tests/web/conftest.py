"""Browser tests: a real ``callpilot serve`` process (so it can be killed and restarted) and a real headless
Chromium driven by Playwright.

The browser is Debian's ``chromium`` (Playwright's own download is neither needed nor possible offline). CI
sets CALLPILOT_TEST_CHROMIUM, and then a missing browser fails the tests; without it they run when a chromium
is on the PATH and are skipped, saying so, when none is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.api.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KEY = "web-test-key"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 720}
# How long an assertion about the page waits for it to come true. Generous: a 2-core CI machine running the
# analyzers, the recognizer's worker start-up and the browser at once is slow; a pass is usually instant.
EXPECT_TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    wanted = os.environ.get("CALLPILOT_TEST_CHROMIUM")
    if wanted:
        return wanted
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_report_header(config: pytest.Config) -> list[str]:
    found = chromium_path()
    return [f"browser tests: on ({found})" if found else
            "browser tests: SKIPPED - no chromium on the PATH (apt-get install chromium, or set "
            "CALLPILOT_TEST_CHROMIUM)"]


@dataclass
class Server:
    """``callpilot serve`` on a temporary SQLite database, with the example knowledge base and field schema."""

    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.workdir / "callpilot.yaml"

    def prepare(self) -> None:
        self.config.write_text(json.dumps({  # JSON is YAML
            "database_url": f"sqlite:///{self.workdir / 'web.db'}",
            "api_key": KEY,
            "vault_key": Fernet.generate_key().decode(),
            "log_level": "warning",
            "analyzers": {"aftercall": {"fields_file": str(EXAMPLES / "aftercall" / "fields.yaml")}},
        }))
        subprocess.run([sys.executable, "-m", "callpilot", "kb", "ingest", str(EXAMPLES / "kb"),
                        "--config", str(self.config)], check=True, capture_output=True, timeout=300)

    def start(self) -> None:
        log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "callpilot", "serve", "--port", str(self.port), "--config", str(self.config)],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {(self.workdir / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become ready in 120 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None


class Api:
    """The test's ACD: starts calls, posts segments, reads events (one client, which reconnects by itself
    after a server restart)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=30)

    def start_call(self, call_id: str, **fields: Any) -> None:
        body = {"call_id": call_id, "agent_id": "agt-1042", "agent_name": "Dana Whitfield", **fields}
        self.http.post("/v1/calls", json=body).raise_for_status()

    def segment(self, call_id: str, speaker: str, text: str, start: float, end: float, *, final: bool = True,
                segment_id: str | None = None) -> None:
        body: dict[str, Any] = {"speaker": speaker, "text": text, "start_time": start, "end_time": end,
                                "final": final}
        if segment_id:
            body["segment_id"] = segment_id
        self.http.post(f"/v1/calls/{call_id}/segments", json=body).raise_for_status()

    def play(self, call_id: str, segments: list[dict[str, Any]]) -> None:
        for seg in segments:
            self.segment(call_id, seg["speaker"], seg["text"], seg["start"], seg["end"])

    def end_call(self, call_id: str) -> None:
        self.http.post(f"/v1/calls/{call_id}/end", json={"status": "completed"}).raise_for_status()

    def events(self, call_id: str, type_name: str | None = None) -> list[dict[str, Any]]:
        page = self.http.get(f"/v1/calls/{call_id}/events", params={"limit": 5000}).json()
        return [e for e in page["events"] if type_name is None or e["type"] == type_name]

    def get(self, path: str) -> Any:
        answer = self.http.get(path)
        answer.raise_for_status()
        return answer.json()

    def wait_for(self, check: Any, timeout: float = 20.0) -> Any:
        """Poll ``check()`` until it returns something truthy (the server's state, not the page's)."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def sample_segments(name: str = "home_services_booking") -> list[dict[str, Any]]:
    return list(json.loads((EXAMPLES / "calls" / f"{name}.json").read_text())["segments"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if chromium_path() is None:
        pytest.skip("browser tests need chromium (apt-get install chromium) or CALLPILOT_TEST_CHROMIUM")
    srv = Server(tmp_path_factory.mktemp("web"))
    srv.prepare()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Api]:
    client = Api(server.url)
    yield client
    client.http.close()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    path = chromium_path()
    assert path is not None
    if not Path(path).exists():
        pytest.fail(f"CALLPILOT_TEST_CHROMIUM={path} does not exist")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, headless=True, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


def page_errors(page: Any) -> list[str]:
    """Collects uncaught script errors of a page and what its Content-Security-Policy refused, so a test can
    assert there were none."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return errors


def screenshot_dir() -> Path | None:
    """Where to keep screenshots of the pages: docs/screenshots with ``make screenshots``, else nowhere."""
    wanted = os.environ.get("CALLPILOT_SCREENSHOTS")
    return Path(wanted) if wanted else None
