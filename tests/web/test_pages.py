"""The agent desktop and the supervisor dashboard in a real headless Chromium, against a real server: a call
appears live, alerts fire, feedback is stored, a server restart is survived, the wrap-up is approved."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import KEY, Api, Server, page_errors, sample_segments, screenshot_dir

SEGMENTS = sample_segments()
GUARANTEE = next(i for i, s in enumerate(SEGMENTS) if "guarantee" in s["text"].lower())


def open_agent(context: Any, server: Server, query: str = "") -> Any:
    page = context.new_page()
    page.goto(f"{server.url}/{query}#key={KEY}")
    return page


def finals(page: Any) -> Any:
    return page.locator("#transcript li[data-segment]")


def test_sign_in_refuses_a_wrong_key_then_signs_in(context: Any, server: Server) -> None:
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{server.url}/supervisor")
    dialog = page.get_by_role("dialog", name="Sign in")
    expect(dialog).to_be_visible()
    page.get_by_label("API key").fill("not-the-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    # the key went into an HttpOnly cookie, not into anything the page's scripts can read
    assert KEY not in page.evaluate("document.cookie + localStorage.length + sessionStorage.length")
    assert errors == []


def test_the_policy_refuses_injected_script_and_the_errors_are_caught(context: Any, server: Server) -> None:
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{server.url}/supervisor#key={KEY}")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    assert errors == []  # the page itself needs nothing the policy refuses
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.injected = true'; document.body.append(s); }""")
    assert page.evaluate("window.injected === undefined")
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in e for e in errors), errors


def test_a_replayed_call_plays_out_live_on_both_pages(context: Any, server: Server, api: Api) -> None:
    agent = open_agent(context, server)
    errors = page_errors(agent)
    supervisor = context.new_page()
    supervisor.goto(f"{server.url}/supervisor")
    expect(supervisor.locator("#conn")).to_have_attribute("data-state", "live")
    call = "web-live-1"
    api.start_call(call, queue="residential-booking", customer_phone="+1 555 212 0142")
    expect(agent.locator("#call-title")).to_have_text(f"Call {call}")
    expect(agent.locator("#context")).to_contain_text("residential-booking")
    expect(agent.locator("#context")).to_contain_text("0142")  # the masked phone, never the whole number

    # a partial settles into its final
    api.segment(call, "agent", "thank you for calling", 0.5, 1.5, final=False)
    expect(agent.locator("#transcript li.partial")).to_contain_text("thank you for calling")
    api.play(call, SEGMENTS[:1])
    expect(agent.locator("#transcript li.partial")).to_have_count(0)
    expect(finals(agent)).to_have_count(1)
    expect(finals(agent).first).to_contain_text("Brightside Plumbing")
    expect(finals(agent).first.locator(".chip")).to_have_text("person")  # "this is Dana", redacted

    api.play(call, SEGMENTS[1:GUARANTEE + 1])
    expect(finals(agent)).to_have_count(GUARANTEE + 1)
    card = agent.locator("#cards li.card").first
    expect(card).to_be_visible()
    expect(card.locator("mark")).not_to_be_empty()
    expect(card.get_by_role("button", name=re.compile("^Helpful"))).to_be_visible()
    expect(agent.locator("#checklist li.check.met").first).to_be_visible()
    alert = agent.locator("#alerts li.alert.sev-critical")
    expect(alert).to_contain_text("guarantee")
    expect(agent.locator("#transcript mark.violation")).to_contain_text("guarantee")
    expect(agent.locator("#sentiment-text")).to_have_text(re.compile(r"(negative|neutral|positive) \(-?\d"))

    row = supervisor.locator(f'#calls-body tr[data-call="{call}"]')
    expect(row).to_contain_text("Dana Whitfield")
    expect(row).to_contain_text("residential-booking")
    expect(row.locator("td").nth(4)).to_contain_text("guarantee")
    # today's numbers follow: the violation counts as a compliance miss
    misses = supervisor.get_by_role("group", name="Compliance misses")
    expect(misses.locator(".tile-value")).to_have_text(re.compile(r"^[1-9]"))
    expect(misses).not_to_contain_text("none")
    shots = screenshot_dir()
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(shots / "agent-desktop.png"))
        supervisor.screenshot(path=str(shots / "supervisor.png"))
    assert errors == []


def no_suggestions(api: Api, call: str) -> str:
    """Why a call has no card, from the server's record of its runs (read only when the assertion fails)."""
    runs = [(e["data"]["agent"], e["data"]["confidence"], e["data"]["details"])
            for e in api.events(call, "AgentActionRecorded")]
    return f"no suggestions; runs: {runs}; analyzer failures: {api.events(call, 'AnalyzerFailed')}"


def test_feedback_clicks_are_stored_as_events(context: Any, server: Server, api: Api) -> None:
    call = "web-feedback-1"
    api.start_call(call, queue="residential-booking")
    agent = open_agent(context, server, f"?call={call}")
    # A burst, as fast as the API takes it: the background falls behind the stored segments, and the first
    # customer segment's run must still happen (it once ran on the agent's greeting instead, and found nothing).
    api.play(call, SEGMENTS[:GUARANTEE])
    # The server's side first: under load the first suggestion can take longer than a page assertion waits.
    suggested = api.wait_for(lambda: api.events(call, "SuggestionsProvided"), timeout=60)
    assert suggested, no_suggestions(api, call)
    card = agent.locator("#cards li.card").first
    expect(card).to_be_visible()
    suggestion_id = card.get_attribute("data-suggestion")
    helpful = card.get_by_role("button", name=re.compile("^Helpful"))
    helpful.focus()
    agent.keyboard.press("Enter")  # keyboard-usable
    expect(helpful).to_have_attribute("aria-pressed", "true")  # set by the event coming back on the stream
    card.locator(".card-title a, .card-title button").first.click()

    def stored() -> list[dict[str, Any]]:
        return [e["data"] for e in api.events(call, "SuggestionFeedbackGiven")]

    got = api.wait_for(lambda: len(stored()) >= 2 and stored())
    assert {(e["suggestion_id"], e["feedback"]) for e in got} == {(suggestion_id, "helpful"),
                                                                  (suggestion_id, "clicked")}
    assert all(e["agent_id"] == "agt-1042" for e in got)


def test_a_server_restart_mid_call_loses_and_repeats_nothing(context: Any, server: Server, api: Api) -> None:
    call = "web-restart-1"
    api.start_call(call, queue="residential-booking")
    agent = open_agent(context, server, f"?call={call}")
    errors = page_errors(agent)
    supervisor = context.new_page()
    supervisor.goto(f"{server.url}/supervisor")
    first, second = SEGMENTS[:8], SEGMENTS[8:16]
    api.play(call, first)
    expect(finals(agent)).to_have_count(len(first))

    server.kill()
    expect(agent.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(agent.locator("#conn")).to_contain_text("retrying")
    expect(supervisor.locator("#conn")).to_have_attribute("data-state", "offline")
    server.start()
    api.play(call, second)

    expect(finals(agent)).to_have_count(len(first) + len(second), timeout=30_000)
    expect(agent.locator("#conn")).to_have_attribute("data-state", "live")
    shown = agent.locator("#transcript li[data-segment] .text").all_inner_texts()
    stored = [e["data"]["text"] for e in api.events(call, "SegmentReceived")]
    assert shown == [re.sub(r"\[([A-Z_]+)\]", lambda m: m.group(1).replace("_", " ").lower(), t) for t in stored]
    ids = agent.locator("#transcript li[data-segment]").evaluate_all("els => els.map(e => e.dataset.segment)")
    assert len(ids) == len(set(ids))
    expect(supervisor.locator("#conn")).to_have_attribute("data-state", "live", timeout=30_000)
    expect(supervisor.locator(f'#calls-body tr[data-call="{call}"]')).to_be_visible()
    assert errors == []


def test_the_wrap_up_is_edited_and_approved(context: Any, server: Server, api: Api) -> None:
    call = "web-wrapup-1"
    api.start_call(call, queue="residential-booking")
    agent = open_agent(context, server, f"?call={call}")
    errors = page_errors(agent)
    api.play(call, SEGMENTS)
    expect(finals(agent)).to_have_count(len(SEGMENTS))
    api.end_call(call)
    wrapup = agent.get_by_role("region", name="Wrap-up")
    expect(wrapup).to_be_visible()
    summary = wrapup.get_by_label("Summary")
    expect(summary).not_to_be_empty(timeout=30_000)
    analysis = api.get(f"/v1/calls/{call}/analysis")
    assert analysis["status"] == "pending_review", analysis["review_reasons"]  # the sample needs a reviewer
    expect(wrapup.get_by_role("status")).to_contain_text("needs your review")
    flagged = [r.split(":")[0].removeprefix("fields.") for r in analysis["review_reasons"] if r.startswith("fields.")]
    for name in flagged:
        expect(wrapup.locator(f"#wu-field-{name}")).to_have_class(re.compile("low"))

    typed = "Leaking gas water heater; visit booked for tomorrow 8-11."
    summary.fill(typed)
    # a supervisor edits another part of the same revision meanwhile: the panel re-renders with it, and what the
    # agent typed but has not saved stays, with the focus
    other = next(r for r in ("escalated", "follow_up") if r != analysis["analysis"]["resolution"])
    api.http.post(f"/v1/calls/{call}/analysis/edits", json={
        "revision": analysis["revision"], "reviewer": "sup-7", "resolution": other}).raise_for_status()
    expect(wrapup.get_by_label("Resolution")).to_have_value(other)
    expect(wrapup.get_by_label("Summary")).to_have_value(typed)
    expect(wrapup.get_by_label("Summary")).to_be_focused()
    wrapup.get_by_role("button", name="Approve").click()
    expect(wrapup.get_by_role("status")).to_contain_text("approved by agt-1042")
    final = api.get(f"/v1/calls/{call}/analysis")
    assert final["status"] == "approved" and final["approved_by"] == "agt-1042"
    assert final["analysis"]["summary"]["text"] == typed
    assert final["analysis"]["resolution"] == other
    edits = api.events(call, "AnalysisEdited")
    assert [c["path"] for c in edits[-1]["data"]["changes"]] == ["summary.text"]
    expect(wrapup.get_by_label("Summary")).to_have_attribute("readonly", "")
    shots = screenshot_dir()
    if shots is not None:
        agent.screenshot(path=str(shots / "agent-wrap-up.png"))
    assert errors == []


def test_the_supervisor_filters_sorts_and_drills_in(context: Any, server: Server, api: Api) -> None:
    api.start_call("web-sup-a", queue="residential-booking", agent_id="agt-a", agent_name="Avery")
    api.start_call("web-sup-b", queue="card-services", agent_id="agt-b", agent_name="Blake")
    api.play("web-sup-a", SEGMENTS[:4])
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{server.url}/supervisor#key={KEY}")
    rows = page.locator("#calls-body tr")
    expect(page.locator('#calls-body tr[data-call="web-sup-b"]')).to_be_visible()
    page.get_by_label("filter calls by agent, queue or call id").fill("card-services")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Blake")
    page.get_by_label("filter calls by agent, queue or call id").fill("web-sup")
    expect(rows).to_have_count(2)
    page.get_by_role("button", name="Agent").click()
    expect(rows.first).to_contain_text("Avery")
    page.get_by_role("button", name="Agent").click()
    expect(rows.first).to_contain_text("Blake")

    page.get_by_role("button", name="open call web-sup-a").click()
    drill = page.get_by_role("region", name="Call web-sup-a")
    expect(drill.locator("li[data-segment]")).to_have_count(4)
    api.play("web-sup-a", SEGMENTS[4:6])  # the drill-in is live too
    expect(drill.locator("li[data-segment]")).to_have_count(6)
    expect(drill.get_by_role("button", name=re.compile("^Helpful"))).to_have_count(0)  # read-only
    page.keyboard.press("Escape")
    expect(drill).to_be_hidden()

    today = api.get("/v1/dashboard/today")
    assert today["calls"] >= 2 and today["live"] >= 2
    expect(page.get_by_role("group", name="Calls").locator(".tile-value")).to_have_text(str(today["calls"]))
    assert errors == []


def test_auto_scroll_stops_when_the_agent_scrolls_up(context: Any, server: Server, api: Api) -> None:
    call = "web-scroll-1"
    api.start_call(call, queue="residential-booking")
    agent = open_agent(context, server, f"?call={call}")
    api.play(call, SEGMENTS[:25])
    expect(finals(agent)).to_have_count(25)
    at_bottom = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 24"
    transcript = agent.locator("#transcript")
    assert transcript.evaluate(at_bottom)
    transcript.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
    api.play(call, SEGMENTS[25:27])
    expect(finals(agent)).to_have_count(27)
    assert transcript.evaluate("el => el.scrollTop") == 0
    jump = agent.get_by_role("button", name="Back to live")
    expect(jump).to_be_visible()
    jump.click()
    assert transcript.evaluate(at_bottom)
    expect(jump).to_be_hidden()
