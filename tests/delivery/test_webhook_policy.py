"""Webhook URL policy, Standard Webhooks signing and the retry policy (table-driven)."""

from __future__ import annotations

import ipaddress
import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from callpilot.core.errors import ConfigError, InvalidInput
from callpilot.delivery.outbox.retry import Outcome, RetryPolicy, classify_response
from callpilot.delivery.webhooks import UrlPolicy, WebhookSigner, generate_secret


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://example.com/hook", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("example.com/hook", "http or https"),
    ("https:///hook", "no host"),
    ("https://user:pw@example.com/hook", "credentials"),
    ("http://127.0.0.1:8080/hook", "internal"),
    ("http://10.1.2.3/hook", "internal"),
    ("http://192.168.0.10/hook", "internal"),
    ("http://172.16.5.4/hook", "internal"),
    ("http://100.64.0.1/hook", "internal"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://169.254.10.1/hook", "internal"),
    ("http://[::1]/hook", "internal"),
    ("http://[fe80::1]/hook", "internal"),
    ("http://[fd00:ec2::254]/hook", "metadata"),
    ("http://[::ffff:127.0.0.1]/hook", "internal"),
    ("http://0.0.0.0/hook", "internal"),
    ("http://224.0.0.1/hook", "internal"),
])
def test_unsafe_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as error:
        UrlPolicy().check_url(url, resolve=False)
    assert error.value.field == "url"


def test_public_addresses_and_the_allow_list() -> None:
    assert UrlPolicy().check_url("https://93.184.216.34/hook") == "93.184.216.34"
    assert UrlPolicy().check_url("https://hooks.example.com/x", resolve=False) == "hooks.example.com"
    allowed = UrlPolicy(allow=["127.0.0.1/32", "10.0.0.0/8"])
    allowed.check_url("http://127.0.0.1:9000/hook")
    allowed.check_url("http://10.9.8.7/hook")
    with pytest.raises(InvalidInput, match="metadata"):  # never, whatever the allow-list says
        UrlPolicy(allow=["169.254.0.0/16"]).check_url("http://169.254.169.254/")
    with pytest.raises(ConfigError, match="allow-list"):
        UrlPolicy(allow=["not-a-network"])


def test_resolved_addresses_are_checked_at_delivery_time() -> None:
    policy = UrlPolicy()
    with pytest.raises(InvalidInput, match="internal"):  # a name re-pointed at an internal address
        policy.check_addresses([ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.5")])
    with pytest.raises(InvalidInput, match="does not resolve"):
        policy.check_addresses([])
    with pytest.raises(InvalidInput, match="resolves|resolve"):
        policy.check_url("https://no-such-host.invalid/hook")


def test_signatures_verify_with_the_specification_library() -> None:
    secret = generate_secret()
    signer = WebhookSigner(secret)
    body = '{"type": "call_analyzed", "data": {"call_id": "c-1"}}'
    headers = signer.headers("msg_1", body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"type": "call_analyzed", "data": {"call_id": "c-1"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("c-1", "c-2"), headers)  # altered body
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)  # another secret
    stale = signer.headers("msg_1", body, timestamp=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, stale)  # replayed long after
    with pytest.raises(ConfigError):
        WebhookSigner("plain-secret")


@pytest.mark.parametrize(("status", "outcome"), [
    (200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (None, Outcome.RETRY), (500, Outcome.RETRY),
    (503, Outcome.RETRY), (429, Outcome.RETRY), (408, Outcome.RETRY), (410, Outcome.GONE), (400, Outcome.DEAD),
    (401, Outcome.DEAD), (404, Outcome.DEAD), (301, Outcome.DEAD), (302, Outcome.DEAD),
])
def test_answers_are_classified(status: int | None, outcome: Outcome) -> None:
    assert classify_response(status) is outcome


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_seconds=5, max_delay_seconds=600, max_attempts=5)
    rng = random.Random(7)
    delays = [policy.delay(n, rng=rng) for n in range(1, 5)]
    for n, d in enumerate(delays, start=1):
        assert d is not None and 0.5 * 5 * 2 ** (n - 1) <= d <= 5 * 2 ** (n - 1)
    assert policy.delay(5) is None  # the last attempt failed: a dead letter
    assert policy.delay(1, retry_after="30") == 30.0
    assert policy.delay(1, retry_after="99999") == 600.0
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert policy.delay(1, retry_after="Thu, 03 Dec 2026 10:02:00 GMT", now=now) == 120.0
    assert policy.delay(1, retry_after="soon", rng=random.Random(1)) is not None  # unreadable: our own backoff
