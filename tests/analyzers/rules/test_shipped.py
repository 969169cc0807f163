"""The shipped rulesets on scripted calls: live violations, requirements met, windows closing, call end."""

from __future__ import annotations

import pytest

from callpilot.analyzers.rules import RulesAnalyzer
from callpilot.domain.events.rules import (
    ChecklistStarted,
    RequirementMet,
    RequirementMissed,
    RuleViolated,
    RuleWindowsAdvanced,
)
from tests.analyzers.rules.scripted import ScriptedCall

A, C = "agent", "customer"
BANKING = RulesAnalyzer(ruleset="banking")
HOME = RulesAnalyzer(ruleset="home_services")


def _violations(events: list[object]) -> list[tuple[str, str]]:
    return [(e.rule_id, e.evidence) for e in events if isinstance(e, RuleViolated)]


# --- banking ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("speaker, text, expected", [
    pytest.param(A, "don't worry you'll get your money back",
                 [("no-fraud-outcome-promise", "you'll get your money back")], id="fraud outcome promise"),
    pytest.param(A, "i promise the full amount will be refunded to you",
                 [("no-fraud-outcome-promise", "promise the full amount will be refunded")], id="fraud promise regex"),
    pytest.param(A, "you'll definately get you're money back", [("no-fraud-outcome-promise",
                 "you'll definately get you're money back")], id="fraud promise, asr-mangled"),
    pytest.param(A, "i can't promise that you'll get your money back but we will investigate", [],
                 id="negated promise is allowed"),
    pytest.param(A, "the claim is under review and we'll update you within ten business days", [], id="neutral"),
    pytest.param(A, "okay can you tell me your pin", [("no-secret-request", "tell me your pin")], id="pin request"),
    pytest.param(A, "and what's the full card number", [("no-secret-request", "what's the full card number")],
                 id="full card number request"),
    pytest.param(A, "remember we will never ask for your pin", [], id="warning about pins is fine"),
    pytest.param(A, "so your card [CARD_NUMBER] is blocked",
                 [("no-sensitive-number-read-aloud", "[CARD_NUMBER]")], id="agent reads card number"),
    pytest.param(C, "my card is [CARD_NUMBER] and what's your pin policy", [], id="customer speech is not checked"),
    pytest.param(A, "you'll definitely be approved", [], id="approval rule is for lending queues only"),
    pytest.param(A, "i'm sure your dispute will definitely be approved",
                 [("no-fraud-outcome-promise", "dispute will definitely be approved")], id="dispute outcome"),
])
async def test_banking_prohibited(speaker: str, text: str, expected: list[tuple[str, str]]) -> None:
    call = ScriptedCall(BANKING, queue="card-services")
    await call.say(A, "thank you for calling, this call may be recorded for quality and training purposes")
    await call.say(A, "thank you, you're verified")
    assert _violations(await call.say(speaker, text)) == expected


@pytest.mark.parametrize("queue, expected", [
    pytest.param("lending", [("no-approval-promise", "you'll definitely be approved")], id="lending"),
    pytest.param("Mortgage", [("no-approval-promise", "you'll definitely be approved")], id="case-insensitive queue"),
    pytest.param("card-services", [], id="other queue"),
    pytest.param(None, [], id="no queue"),
])
async def test_banking_queue_scope(queue: str | None, expected: list[tuple[str, str]]) -> None:
    call = ScriptedCall(BANKING, queue=queue)
    assert _violations(await call.say(A, "don't worry you'll definitely be approved")) == expected


async def test_banking_compliant_call_meets_every_requirement() -> None:
    call = ScriptedCall(BANKING, queue="card-services")
    first = await call.say(A, "thank you for calling harbor federal, this call may be recorded for quality and "
                              "training purposes, how can i help")
    assert isinstance(first[0], ChecklistStarted)
    assert [e.rule_id for e in first if isinstance(e, RequirementMet)] == ["recording-disclosure"]
    await call.say(C, "i lost my debit card")
    await call.say(A, "i can help, first i need to verify your identity, what's your date of birth")
    await call.say(C, "[DATE_OF_BIRTH]")
    await call.say(A, "thank you [PERSON], you're verified, let me pull up the account")
    assert call.status("identity-verified") == "met"
    assert _violations(await call.say(A, "your available balance is four hundred twelve dollars")) == []
    await call.say(A, "is there anything else i can help you with today")
    await call.say(A, "thank you for banking with harbor federal")
    assert await call.end() == []
    assert {k: v["status"] for k, v in call.state["checklist"].items()} == {
        "recording-disclosure": "met", "identity-verified": "met", "closing-offer-help": "met",
        "closing-thanks": "met"}
    assert call.state["violations_total"] == 0


async def test_banking_balance_before_verification_is_an_ordering_violation() -> None:
    call = ScriptedCall(BANKING)
    await call.say(A, "this call is being recorded")
    early = await call.say(A, "sure, your balance is two hundred dollars")
    assert _violations(early) == [("balance-before-verification", "your balance is")]
    assert early[0].kind == "ordering" and early[0].severity == "critical"  # type: ignore[attr-defined]
    await call.say(A, "okay you've been verified")
    assert _violations(await call.say(A, "your balance is two hundred dollars")) == []


async def test_banking_verified_earlier_in_the_same_segment_counts() -> None:
    call = ScriptedCall(BANKING)
    events = await call.say(A, "thanks, you're all verified, and your current balance is ninety dollars")
    assert [type(e).__name__ for e in events] == ["ChecklistStarted", "RequirementMet", "RuleWindowsAdvanced"]
    call2 = ScriptedCall(BANKING)
    events = await call2.say(A, "your current balance is ninety dollars, and thanks, you're all verified")
    assert _violations(events) == [("balance-before-verification", "your current balance")]


async def test_banking_disclosure_window_closes_after_30s_of_agent_speech() -> None:
    call = ScriptedCall(BANKING)
    first = await call.say(A, "thanks for calling harbor federal how can i help", seconds=12)
    assert isinstance(first[-1], RuleWindowsAdvanced) and first[-1].agent_seconds == 12
    await call.say(C, "hi i have a question about a charge", seconds=20)  # customer time does not count
    second = await call.say(A, "sure let me look at that for you", seconds=12)
    assert [type(e).__name__ for e in second] == ["RuleWindowsAdvanced"]
    assert call.status("recording-disclosure") == "pending"
    third = await call.say(A, "okay one moment please while i pull that up", seconds=12)
    (missed,) = [e for e in third if isinstance(e, RequirementMissed)]
    assert missed.rule_id == "recording-disclosure"
    assert missed.reason == "not said within the first 30 s of agent speech"
    assert missed.at == 56.0
    assert not any(isinstance(e, RuleWindowsAdvanced) for e in third)  # no window left open: the clock stops
    late = await call.say(A, "oh and this call may be recorded")
    assert late == [] and call.status("recording-disclosure") == "missed"


async def test_banking_call_end_misses_what_is_pending() -> None:
    call = ScriptedCall(BANKING)
    await call.say(A, "thank you for calling, this call may be recorded")
    ended = await call.end()
    assert sorted((e.rule_id, e.reason) for e in ended if isinstance(e, RequirementMissed)) == [
        ("closing-offer-help", "the call ended before it was said"),
        ("closing-thanks", "the call ended before it was said"),
        ("identity-verified", "the call ended before it was said"),
    ]
    assert call.status("recording-disclosure") == "met"


# --- home services ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    pytest.param("don't worry i guarantee the technician will be there by ten",
                 [("no-arrival-guarantee", "i guarantee the technician will be there by")], id="arrival guarantee"),
    pytest.param("i garantee the tech will be there by ten",
                 [("no-arrival-guarantee", "i garantee the tech will be there by")], id="asr-mangled guarantee"),
    pytest.param("i garantee the plumber gets there by ten",
                 [("no-arrival-guarantee", "garantee the plumber gets there by ten")], id="asr-mangled, regex"),
    pytest.param("i promise they'll show up on time",
                 [("no-arrival-guarantee", "promise they'll show up on time")], id="arrival promise"),
    pytest.param("they will absolutely be there before noon",
                 [("no-arrival-guarantee", "absolutely be there before")], id="absolutely be there"),
    pytest.param("i can't guarantee an exact time but they'll arrive in the window", [], id="negated guarantee"),
    pytest.param("i promise it won't cost more than two hundred dollars",
                 [("no-price-guarantee", "i promise it won't cost more than")], id="price promise"),
    pytest.param("the price is guaranteed", [("no-price-guarantee", "the price is guaranteed")], id="price guaranteed"),
    pytest.param("the total will be garanteed", [("no-price-guarantee", "total will be garanteed")],
                 id="price guaranteed, asr"),
    pytest.param("we have a satisfaction guarantee on the price of every job", [], id="satisfaction guarantee"),
    pytest.param("we reached a compromise on the price", [], id="compromise is not promise"),
    pytest.param("a new water heater will run you about twelve hundred dollars",
                 [("no-phone-repair-estimate", "new water heater will run you about twelve hundred")],
                 id="phone estimate"),
    pytest.param("the technician will give you an exact quote on site", [], id="quote on site is fine"),
    pytest.param("there's a service call fee of eighty nine dollars", [], id="fee is fine"),
])
async def test_home_services_prohibited(text: str, expected: list[tuple[str, str]]) -> None:
    call = ScriptedCall(HOME, queue="residential-booking")
    await call.say(A, "thanks for calling brightside plumbing")
    assert _violations(await call.say(A, text)) == expected


@pytest.mark.parametrize("queue, expected_items", [
    pytest.param("residential-booking", 11, id="booking queue: the booking questions"),
    pytest.param("support", 2, id="other queue: greeting and closing only"),
])
async def test_home_services_checklist_depends_on_queue(queue: str, expected_items: int) -> None:
    call = ScriptedCall(HOME, queue=queue)
    (started, *_) = await call.say(A, "thank you for calling brightside")
    assert isinstance(started, ChecklistStarted)
    assert len(started.checklist) == expected_items
    assert {"greeting", "closing"} <= {item.rule_id for item in started.checklist}


async def test_home_services_greeting_window_counts_agent_segments() -> None:
    call = ScriptedCall(HOME, queue="support")
    await call.say(A, "hello")
    await call.say(C, "hi thank you for calling me back")  # customer words never meet an agent requirement
    assert call.status("greeting") == "pending"
    events = await call.say(A, "how can i help")
    assert [(e.rule_id, e.reason) for e in events if isinstance(e, RequirementMissed)] == [
        ("greeting", "not said within the agent's first 2 segment(s)")]


async def test_home_services_fee_must_come_before_the_booking_is_confirmed() -> None:
    call = ScriptedCall(HOME, queue="residential-booking")
    early = await call.say(A, "great you're booked for tomorrow eight to eleven")
    assert _violations(early) == [("fee-before-booking-confirmed", "you're booked for")]
    await call.say(A, "there is a service call fee of eighty nine dollars")
    assert call.status("disclose-service-fee") == "met"
    assert _violations(await call.say(A, "so you're booked for tomorrow")) == []


async def test_home_services_booking_call_end_to_end() -> None:
    script = [
        (A, "thank you for calling brightside plumbing this is dana"),
        (C, "my water heater is leaking"),
        (A, "sorry to hear that, can i get your name please"),
        (C, "[PERSON]"),
        (A, "and what's the service address"),
        (C, "[ADDRESS]"),
        (A, "tell me a little more about what's going on"),
        (A, "what day and time window works best for you"),
        (A, "there's a service call fee of eighty nine dollars"),
        (A, "i'll put you in the eight to eleven window and i guarantee they'll be there by nine"),
        (A, "what's the best phone number to reach you"),
        (A, "we need someone eighteen or older at the home"),
        (A, "just to confirm you're booked for tomorrow, your confirmation number is [ACCOUNT_NUMBER]"),
        (A, "thanks for calling, have a great day"),
    ]
    call = ScriptedCall(HOME, queue="residential-booking")
    for speaker, text in script:
        await call.say(speaker, text)
    assert await call.end() == []
    assert all(item["status"] == "met" for item in call.state["checklist"].values())
    assert call.violated() == ["no-arrival-guarantee"]
    assert call.state["violation_counts"] == {"no-arrival-guarantee": 1}


async def test_partial_segments_are_not_judged() -> None:
    call = ScriptedCall(HOME)
    assert await call.say(A, "i guarantee they'll be there by ten", final=False) == []
    assert "rules" not in call.call.analyzers
