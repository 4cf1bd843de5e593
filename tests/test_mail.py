"""Alert emails through a real SMTP server (aiosmtpd on a loopback port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from gateway.channels.base import ProviderError
from gateway.channels.mail import SmtpSender, compose, leave_url, subject
from gateway.core.config import EmailConfig

SENDER = "alerts@gateway.example.org"
LEAVE = "https://console.example.org/leave/Tok3n_abc-123"
TEXT = (
    "Hare coursers seen near Docking: a silver pick-up, 3 men with lurchers.\n"
    "Ring 101 if you see them.\nBcc: victim@example.net"
)


@dataclass
class Handler:
    """Keeps what the server took; refuses nobody@ with 550 and busy@ with 450."""

    received: list[tuple[tuple[str, int], str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("busy@"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (session.peer, envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Controller, Handler]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def settings(port: int, **kw: Any) -> EmailConfig:
    return EmailConfig(
        **{"host": "127.0.0.1", "port": port, "sender": SENDER, "starttls": False, **kw}
    )


def alert_email(to: str = "ann.bell@example.org") -> EmailMessage:
    return compose(
        to=to,
        text=TEXT,
        sender=SENDER,
        alert_ref="A-0042",
        list_name="Docking farms",
        leave_url=LEAVE,
    )


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_an_alert_email_arrives_with_its_reference_list_and_one_click_leave_link(
    server: tuple[Controller, Handler],
) -> None:
    controller, handler = server
    sender = SmtpSender(settings(controller.port), "")
    message_id = sender.send(alert_email())
    sender.close()
    [(_, mail_from, rcpt, raw)] = handler.received
    assert (mail_from, rcpt) == (SENDER, ["ann.bell@example.org"])
    got = parsed(raw)
    assert (
        got["Subject"].strip()  # Python's parser keeps the space of its own fold
        == "Alert A-0042: Hare coursers seen near Docking: a silver pick-up, 3 men..."
    )
    assert got["From"] == SENDER and got["To"] == "ann.bell@example.org"
    assert got["List-Unsubscribe"] == f"<{LEAVE}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["Message-ID"] == message_id and message_id.endswith("@gateway.example.org>")
    assert got["Date"] and got["Bcc"] is None  # the text's "Bcc:" line stayed in the body
    body = got.get_content().replace("\r\n", "\n")
    assert body.startswith(TEXT + "\n")
    assert "Alert A-0042." in body
    assert "You get this because you joined Docking farms." in body
    assert f"To stop these emails: {LEAVE}" in body


def test_the_subject_is_one_line_whatever_the_text() -> None:
    hostile = "Line one\r\nBcc: x@example.net\n\u2028To: y@example.net\x00 end"
    assert subject("A-1", hostile) == "Alert A-1: Line one Bcc: x@example.net To: y@example.net end"
    msg = compose(
        to="ann@example.org", text=hostile, sender=SENDER, alert_ref="A-1\nX: 1",
        list_name="North\r\nBcc: z@example.net", leave_url=LEAVE,
    )  # fmt: skip
    headers = msg.as_bytes().split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nTo: y@" not in headers and b"\nX: 1" not in headers
    assert [k for k in msg if k in ("Bcc", "X")] == []
    assert "You get this because you joined North Bcc: z@example.net." in msg.get_content()


def test_an_address_that_is_not_one_clean_address_is_refused_before_sending() -> None:
    for to in ("ann@example.org, eve@example.net", "ann@example.org\r\nBcc: eve@example.net"):
        with pytest.raises(ProviderError) as caught:
            alert_email(to)
        assert caught.value.permanent and caught.value.code == "address"


def test_the_leave_link_is_the_public_address_and_the_token() -> None:
    assert (
        leave_url("https://console.example.org/", "T0k") == "https://console.example.org/leave/T0k"
    )
    with pytest.raises(ValueError, match="leave link"):
        compose(to="a@example.org", text="x", sender=SENDER, alert_ref="A", list_name="L",
                leave_url="https://x.example.org/leave/a>\r\nBcc: b@example.net")  # fmt: skip


def test_one_connection_carries_many_emails(server: tuple[Controller, Handler]) -> None:
    controller, handler = server
    sender = SmtpSender(settings(controller.port), "", check_after=0.0)  # a NOOP every time
    for n in range(3):
        sender.send(alert_email(f"person{n}@example.org"))
    sender.close()
    assert len(handler.received) == 3
    assert len({peer for peer, *_ in handler.received}) == 1  # the same client port


def test_a_dropped_connection_is_opened_again() -> None:
    handler, port = Handler(), free_port()
    first = Controller(handler, hostname="127.0.0.1", port=port)
    first.start()
    sender = SmtpSender(settings(port), "", check_after=0.0)
    sender.send(alert_email("first@example.org"))
    first.stop()  # the server goes away and comes back: the kept connection is dead
    again = Controller(handler, hostname="127.0.0.1", port=port)
    again.start()
    try:
        sender.send(alert_email("second@example.org"))
        sender.close()
    finally:
        again.stop()
    assert [rcpt for _, _, rcpt, _ in handler.received] == [
        ["first@example.org"],
        ["second@example.org"],
    ]
    assert handler.received[0][0] != handler.received[1][0]


def test_a_refused_mailbox_fails_the_message_for_good_and_the_connection_goes_on(
    server: tuple[Controller, Handler],
) -> None:
    controller, handler = server
    sender = SmtpSender(settings(controller.port), "")
    with pytest.raises(ProviderError) as caught:
        sender.send(alert_email("nobody@example.org"))
    err = caught.value
    assert (err.code, err.permanent, err.service) == (550, True, False)
    assert "no such mailbox" in str(err)
    with pytest.raises(ProviderError) as busy:
        sender.send(alert_email("busy@example.org"))
    assert (busy.value.code, busy.value.permanent, busy.value.service) == (450, False, False)
    sender.send(alert_email("ann@example.org"))
    sender.close()
    assert [rcpt for _, _, rcpt, _ in handler.received] == [["ann@example.org"]]


def test_a_server_that_is_down_is_a_transient_fault_of_the_service() -> None:
    sender = SmtpSender(settings(free_port()), "")
    with pytest.raises(ProviderError) as caught:
        sender.send(alert_email())
    err = caught.value
    assert not err.permanent and err.service and err.retry_after and err.code is None
    assert "cannot send through 127.0.0.1:" in str(err)


def test_starttls_asked_of_a_server_without_it_sends_nothing_in_clear(
    server: tuple[Controller, Handler],
) -> None:
    controller, handler = server
    sender = SmtpSender(settings(controller.port, starttls=True), "")
    with pytest.raises(ProviderError, match="offers no STARTTLS") as caught:
        sender.send(alert_email())
    assert caught.value.service and not caught.value.permanent
    assert handler.received == []


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"gw", b"s3cret")
    return AuthResult(success=ok, handled=False)  # the server answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_sender_logs_in_and_a_wrong_password_pauses_the_channel() -> None:
    handler = Handler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=check_login,
        auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        good = SmtpSender(settings(port, username="gw"), "s3cret")
        good.send(alert_email())
        good.close()
        assert len(handler.received) == 1
        with pytest.raises(ProviderError) as caught:
            SmtpSender(settings(port, username="gw"), "wrong").send(alert_email())
        err = caught.value
        assert (err.code, err.service, err.permanent) == (535, True, False)
        assert len(handler.received) == 1
    finally:
        controller.stop()
