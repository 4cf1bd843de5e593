"""The Twilio adapter against a stand-in for Twilio's API on a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from twilio_standin import ACCOUNT, TOKEN, TwilioStandin

from gateway.channels.base import ProviderError, ProviderUnsure
from gateway.channels.twilio import (
    Twilio,
    callback_status,
    inbound_of,
    signature,
    valid_signature,
)
from gateway.core.config import ProviderConfig
from gateway.core.db import utcnow

TO = "+447700900301"
SENDER = "+447700900999"


@pytest.fixture
def standin() -> Iterator[TwilioStandin]:
    with TwilioStandin(deliver_after=0.3) as server:
        yield server


def adapter(
    standin: TwilioStandin, *, token: str = TOKEN, timeout: float = 5.0, **config: object
) -> Twilio:
    settings: dict[str, object] = {"account": ACCOUNT, "sender": SENDER, **config}
    cfg = ProviderConfig(name="twilio1", kind="twilio", url=standin.url, **settings)  # type: ignore[arg-type]
    return Twilio(cfg, token + "\n", timeout=timeout)


def test_send_makes_one_message_and_returns_its_sid(standin: TwilioStandin) -> None:
    accepted = adapter(standin).send(TO, "Hare coursing reported at Docking")
    assert accepted.ref.startswith("SM") and len(accepted.ref) == 34
    assert accepted.state == "pending"  # queued
    [made] = standin.messages
    assert (made.sid, made.to, made.sender, made.body) == (
        accepted.ref,
        TO,
        SENDER,
        "Hare coursing reported at Docking",
    )
    assert made.callback == ""  # no callback_url: status is polled only


def test_send_names_the_status_callback_and_validity_when_configured(
    standin: TwilioStandin,
) -> None:
    twilio = adapter(standin, callback_url="https://smsgw.example.org", validity=24)
    twilio.send(TO, "x")
    [made] = standin.messages
    assert made.callback == "https://smsgw.example.org/hooks/twilio/twilio1/status"
    assert made.validity == "36000"  # 24 h capped at Twilio's ceiling


@pytest.mark.parametrize(
    ("code", "words"),
    [(21211, "not a valid phone number"), (21610, "unsubscribed"), (21614, "not a mobile")],
)
def test_a_refused_number_is_a_permanent_fault_of_the_message(
    standin: TwilioStandin, code: int, words: str
) -> None:
    standin.refuse[TO] = code
    with pytest.raises(ProviderError) as caught:
        adapter(standin).send(TO, "x")
    err = caught.value
    assert (err.code, err.permanent, err.service) == (code, True, False)
    assert words in str(err)
    assert standin.messages == []


def test_above_the_rate_ceiling_twilio_says_429_and_when_to_come_back(
    standin: TwilioStandin,
) -> None:
    standin.max_per_second = 2
    twilio = adapter(standin)
    twilio.send(TO, "1")
    twilio.send(TO, "2")
    with pytest.raises(ProviderError) as caught:
        twilio.send(TO, "3")
    err = caught.value
    assert (err.code, err.permanent, err.service, err.retry_after) == (20429, False, True, 1.0)
    assert len(standin.messages) == 2
    time.sleep(1.05)  # the window has moved on
    twilio.send(TO, "3")
    assert [m.body for m in standin.messages] == ["1", "2", "3"]


def test_a_wrong_auth_token_pauses_the_channel_long_with_a_clear_message(
    standin: TwilioStandin,
) -> None:
    with pytest.raises(ProviderError) as caught:
        adapter(standin, token="not-the-token").send(TO, "x")
    err = caught.value
    assert (err.code, err.permanent, err.service) == (20003, False, True)
    assert err.retry_after is not None and err.retry_after >= 300
    assert "token_file" in str(err)
    assert standin.messages == []


def test_a_5xx_is_the_services_fault_and_to_a_send_unsure(standin: TwilioStandin) -> None:
    """A 5xx may come from a proxy after Twilio made the message: a send is asked about
    before it goes again; a status check is only a transient fault."""
    standin.outage = 503
    with pytest.raises(ProviderUnsure) as caught:
        adapter(standin).send(TO, "x")
    err = caught.value
    assert (err.code, err.permanent, err.service) == (20500, False, True)
    with pytest.raises(ProviderError) as asked:
        adapter(standin).status("SM00000000000000000000000000000000")
    assert asked.value.service and not isinstance(asked.value, ProviderUnsure)


def test_a_timeout_is_unsure_and_find_then_returns_the_message_made(
    standin: TwilioStandin,
) -> None:
    since = utcnow() - timedelta(seconds=1)
    standin.delay = 2.0
    twilio = adapter(standin, timeout=0.5)
    with pytest.raises(ProviderUnsure):
        twilio.send(TO, "Gate left open at Burnham")
    [made] = standin.messages
    standin.delay = 0.0
    twilio.send(TO, "another text to the same number")
    found = twilio.find(TO, "Gate left open at Burnham", since)
    assert found is not None and found.ref == made.sid
    assert len(standin.made_to(TO)) == 2  # asking made nothing


def test_a_dropped_answer_is_unsure_too_and_find_names_the_message(
    standin: TwilioStandin,
) -> None:
    since = utcnow()
    standin.drop = True
    twilio = adapter(standin)
    with pytest.raises(ProviderUnsure):
        twilio.send(TO, "Quad bike seen on the bank")
    standin.drop = False
    found = twilio.find(TO, "Quad bike seen on the bank", since)
    assert found is not None and found.ref == standin.messages[0].sid


def test_find_is_none_when_nothing_was_made(standin: TwilioStandin) -> None:
    twilio = adapter(standin)
    since = utcnow()
    standin.refuse[TO] = 21211  # the request reached Twilio and made nothing
    with pytest.raises(ProviderError):
        twilio.send(TO, "never made")
    assert twilio.find(TO, "never made", since) is None


def test_find_ignores_the_same_text_made_before_the_request(standin: TwilioStandin) -> None:
    twilio = adapter(standin)
    twilio.send(TO, "the weekly test")
    time.sleep(1.1)  # Twilio's times are in whole seconds
    assert twilio.find(TO, "the weekly test", utcnow()) is None


def test_status_goes_queued_sent_delivered(standin: TwilioStandin) -> None:
    twilio = adapter(standin)
    ref = twilio.send(TO, "x").ref
    assert twilio.status(ref).state == "pending"
    deadline = time.monotonic() + 5
    while (status := twilio.status(ref)).state != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.state == "delivered" and status.detail == "delivered"


def test_an_undelivered_message_fails_with_twilios_word_and_code(standin: TwilioStandin) -> None:
    standin.failing.add(TO)
    twilio = adapter(standin)
    ref = twilio.send(TO, "x").ref
    deadline = time.monotonic() + 5
    while (status := twilio.status(ref)).state != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (status.state, status.detail) == ("failed", "undelivered (error 30003)")


def test_status_of_a_sid_twilio_does_not_know_is_unknown_not_a_pause(
    standin: TwilioStandin,
) -> None:
    status = adapter(standin).status("SM" + "0" * 32)
    assert status.state == "unknown" and "20404" in status.detail


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("queued", "pending"),
        ("accepted", "pending"),
        ("scheduled", "pending"),
        ("sending", "pending"),
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("failed", "failed"),
        ("undelivered", "failed"),
        ("canceled", "failed"),
        ("something new", "unknown"),
    ],
)
def test_status_callback_words(word: str, state: str) -> None:
    status = callback_status({"MessageSid": "SM1", "MessageStatus": word, "ErrorCode": "30005"})
    assert (status.ref, status.state) == ("SM1", state)
    assert status.detail == f"{word} (error 30005)"


def test_credits_are_the_accounts_balance(standin: TwilioStandin) -> None:
    standin.balance = "12.34"
    assert adapter(standin).credits() == 12.34


def test_an_inbound_webhook_form_is_a_text_with_twilios_id() -> None:
    before = utcnow()
    text = inbound_of({"From": TO, "Body": "STOP", "MessageSid": "SMabc", "To": SENDER})
    assert (text.sender, text.text, text.ref) == (TO, "STOP", "SMabc")
    assert text.received_at.tzinfo is None and text.received_at >= before
    with pytest.raises(ProviderError):
        inbound_of({"From": TO, "Body": "no sid"})


# Twilio's published example (its helper libraries test it: twilio-php, twilio-csharp).
EXAMPLE_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
EXAMPLE = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_signature_matches_twilios_published_example() -> None:
    assert signature(EXAMPLE_URL, EXAMPLE, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # The order the form came in does not matter: Twilio sorts by name.
    assert signature(EXAMPLE_URL, list(reversed(EXAMPLE.items())), "12345") == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )


def test_valid_signature_refuses_any_change() -> None:
    good = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert valid_signature(EXAMPLE_URL, EXAMPLE, "12345", good)
    assert not valid_signature(EXAMPLE_URL, {**EXAMPLE, "Digits": "9999"}, "12345", good)
    assert not valid_signature(EXAMPLE_URL + "&x=1", EXAMPLE, "12345", good)
    assert not valid_signature(EXAMPLE_URL, EXAMPLE, "54321", good)
    assert not valid_signature(EXAMPLE_URL, EXAMPLE, "12345", None)
    assert not valid_signature(EXAMPLE_URL, EXAMPLE, "12345", "")
