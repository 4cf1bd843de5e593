"""The FastSMS adapter against a local server speaking FastSMS's API (fastsms_standin)."""

from __future__ import annotations

import importlib
import importlib.util
import socket
import sys
import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastsms_standin import FastSmsStandin

from gateway.channels.base import CannotTell, ProviderError, ProviderUnsure
from gateway.channels.fastsms import FastSms
from gateway.channels.http import NoAnswer, Unreachable, request
from gateway.core.config import ProviderConfig

TO = "+447700900123"
OTHER = "+447700900456"


@pytest.fixture
def fast() -> Iterator[FastSmsStandin]:
    with FastSmsStandin(token="s3cret-token") as standin:
        yield standin


def adapter(
    url: str, *, token: str = "s3cret-token", timeout: float = 5.0, **kw: object
) -> FastSms:
    config = ProviderConfig(name="fastsms", kind="fastsms", url=url, sender="NorfolkPol", **kw)  # type: ignore[arg-type]
    return FastSms(config, token, timeout=timeout)


def test_a_send_returns_the_id_the_service_made(fast: FastSmsStandin) -> None:
    accepted = adapter(fast.url).send(TO, "Hare coursing reported at Hickling")

    [made] = fast.made
    assert accepted.ref == made.id
    assert accepted.state == "pending"
    assert made.destination == "447700900123"  # E.164 digits without "+"
    assert (made.source, made.body) == ("NorfolkPol", "Hare coursing reported at Hickling")
    assert made.validity == ""  # validity 0: the service's default, so none sent


def test_the_token_travels_in_the_body_never_the_url(fast: FastSmsStandin) -> None:
    ours = adapter(fast.url)
    ours.send(TO, "hello")
    ours.status(fast.made[0].id)
    ours.credits()

    assert len(fast.seen) == 3
    for seen in fast.seen:
        assert seen.method == "POST"
        assert seen.path == "/api"
        assert "s3cret-token" not in seen.path
        assert urllib.parse.parse_qs(seen.body)["Token"] == ["s3cret-token"]


def test_a_text_beyond_gsm_arrives_intact_and_costs_ucs2_parts(fast: FastSmsStandin) -> None:
    fast.credits = 10
    adapter(fast.url).send(TO, "Café ✓ " + "x" * 70)

    [made] = fast.made
    assert made.body == "Café ✓ " + "x" * 70
    assert made.parts == 2  # 77 UCS-2 characters: two parts of 67
    assert fast.credits == 8


def test_validity_goes_in_seconds(fast: FastSmsStandin) -> None:
    adapter(fast.url, validity=24).send(TO, "hello")
    assert fast.made[0].validity == "86400"


@pytest.mark.parametrize(
    ("setup", "code", "permanent", "service", "retry_after", "words"),
    [
        ({"invalid": {TO}}, -401, True, False, None, "not a valid destination"),
        ({"credits": 0.0}, -100, False, True, 900.0, "no credits"),
        ({"max_per_number": 1}, -411, False, False, 3600.0, "daily limit"),
        ({}, -501, False, True, 900.0, "token"),
        ({"maintenance": True}, -511, False, True, 300.0, "maintenance"),
        ({"answer_with": "-999"}, -999, False, True, 60.0, "-999"),
    ],
)
def test_each_negative_code_is_its_own_error(
    fast: FastSmsStandin,
    setup: dict[str, object],
    code: int,
    permanent: bool,
    service: bool,
    retry_after: float | None,
    words: str,
) -> None:
    for key, value in setup.items():
        setattr(fast, key, value)
    ours = adapter(fast.url, token="wrong" if code == -501 else "s3cret-token")
    if code == -411:  # one message is this number's whole allowance
        ours.send(TO, "first")

    with pytest.raises(ProviderError) as caught:
        ours.send(TO, "hello")

    err = caught.value
    assert not isinstance(err, ProviderUnsure)
    assert (err.code, err.permanent, err.service, err.retry_after) == (
        code,
        permanent,
        service,
        retry_after,
    )
    assert words in str(err)
    assert len(fast.made) == (1 if code == -411 else 0)


def test_http_5xx_is_the_service_failing_and_to_a_send_unsure(fast: FastSmsStandin) -> None:
    """A proxy's 5xx may follow a message made: the worker must not send it again."""
    fast.http_status = 503
    with pytest.raises(ProviderUnsure) as caught:
        adapter(fast.url).send(TO, "hello")
    err = caught.value
    assert (err.code, err.permanent, err.service, err.retry_after) == (503, False, True, 60.0)
    with pytest.raises(ProviderError) as asked:
        adapter(fast.url).credits()
    assert asked.value.code == 503 and not isinstance(asked.value, ProviderUnsure)


def test_above_the_rate_ceiling_the_service_says_slow_down(fast: FastSmsStandin) -> None:
    fast.max_per_second = 1
    ours = adapter(fast.url)
    ours.send(TO, "first")
    with pytest.raises(ProviderError) as caught:
        ours.send(OTHER, "second")
    err = caught.value
    assert (err.code, err.permanent, err.service, err.retry_after) == (429, False, True, 1.0)
    assert len(fast.made) == 1


def test_an_answer_that_is_no_id_says_what_came_back(fast: FastSmsStandin) -> None:
    fast.answer_with = "<html>Gateway login</html>"
    with pytest.raises(ProviderUnsure, match="Gateway login"):
        adapter(fast.url).send(TO, "hello")


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("Pending", "pending"),
        ("Sent", "sent"),
        ("Delivered", "delivered"),
        ("FAILED", "failed"),
        ("EXPIRED", "failed"),
        ("UNDELIVERABLE", "failed"),
        ("UNKNOWN", "unknown"),
    ],
)
def test_every_status_word_is_mapped(fast: FastSmsStandin, word: str, state: str) -> None:
    ours = adapter(fast.url)
    ref = ours.send(TO, "hello").ref
    fast.set_status(ref, word)

    status = ours.status(ref)
    assert (status.ref, status.state, status.detail) == (ref, state, word)


def test_status_follows_the_service(fast: FastSmsStandin) -> None:
    fast.deliver_after = None
    fast.failing = {OTHER}
    ours = adapter(fast.url)
    good, bad = ours.send(TO, "hello").ref, ours.send(OTHER, "hello").ref
    assert ours.status(good).state == "pending"

    fast.deliver_after = 0.0
    assert ours.status(good).state == "delivered"
    assert ours.status(bad).state == "failed"


def test_a_status_word_we_do_not_know_is_an_error(fast: FastSmsStandin) -> None:
    ours = adapter(fast.url)
    ref = ours.send(TO, "hello").ref
    fast.set_status(ref, "Teleported")
    with pytest.raises(ProviderError, match="Teleported"):
        ours.status(ref)


def test_credits_are_a_number_and_fall_by_the_parts_sent(fast: FastSmsStandin) -> None:
    fast.credits = 42.5
    ours = adapter(fast.url)
    assert ours.credits() == 42.5
    ours.send(TO, "x" * 161)  # two GSM parts
    assert ours.credits() == 40.5


def test_an_answer_too_slow_is_unsure_and_the_message_was_made(fast: FastSmsStandin) -> None:
    fast.delay = 1.0
    with pytest.raises(NoAnswer) as caught:
        adapter(fast.url, timeout=0.2).send(TO, "hello")
    assert isinstance(caught.value, ProviderUnsure)
    assert [m.destination for m in fast.made] == ["447700900123"]


def test_a_dropped_answer_is_unsure_and_the_message_was_made(fast: FastSmsStandin) -> None:
    fast.drop_next = 1
    ours = adapter(fast.url)
    with pytest.raises(ProviderUnsure):
        ours.send(TO, "hello")
    assert len(fast.made) == 1

    ours.send(OTHER, "hello")  # only the one answer was dropped
    assert len(fast.made) == 2


def test_a_closed_port_is_unreachable_not_unsure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable) as caught:
        adapter(f"http://127.0.0.1:{port}").send(TO, "hello")
    assert not isinstance(caught.value, ProviderUnsure)
    assert caught.value.service


def test_find_cannot_tell_and_inbound_is_refused(fast: FastSmsStandin) -> None:
    ours = adapter(fast.url)
    with pytest.raises(CannotTell):
        ours.find(TO, "hello", datetime(2026, 12, 7))
    with pytest.raises(ProviderError, match="SIMs") as caught:
        ours.inbound({"From": TO, "Body": "STOP"})
    assert caught.value.permanent


def test_the_standin_answers_a_line_per_destination_by_get(fast: FastSmsStandin) -> None:
    fast.invalid = {OTHER}
    answer = request(
        "GET",
        f"{fast.url}/api",
        query={
            "Token": "s3cret-token",
            "Action": "Send",
            "DestinationAddress": "447700900123,447700900456,447700900789",
            "Body": "hello",
        },
    )
    first, second, third = answer.body.splitlines()
    assert second == "-401"
    assert [m.id for m in fast.made] == [first, third]
    assert fast.twice() == []


def test_the_standin_loads_as_a_package_module_and_by_file() -> None:
    path = Path(__file__).with_name("fastsms_standin.py")
    assert importlib.import_module("tests.fastsms_standin").FastSmsStandin
    spec = importlib.util.spec_from_file_location("standin_by_file", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["standin_by_file"] = module
    try:
        spec.loader.exec_module(module)
        with module.FastSmsStandin() as standin:
            assert standin.url.startswith("http://127.0.0.1:")
    finally:
        del sys.modules["standin_by_file"]
