"""Twilio calling the console: status callbacks and texts, signed, over real HTTP.

The console runs on waitress on a loopback port as if behind a reverse proxy: its
public address (`callback_url`) is https://smsgw.example.org, which Twilio signs, while
the requests reach it on 127.0.0.1 (the stand-in's `callbacks_via`).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from twilio_standin import ACCOUNT, TOKEN, TwilioStandin

from gateway.channels.twilio import Twilio, signature
from gateway.core import config
from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, Message
from gateway.outbox import states
from gateway.outbox.queue import Outbox
from web import create_app
from web.server import ConsoleServer

PUBLIC = "https://smsgw.example.org"
STATUS_URL = f"{PUBLIC}/hooks/twilio/twilio1/status"
SMS_URL = f"{PUBLIC}/hooks/twilio/twilio1/sms"
TO = "+447700900411"
SENDER = "+447700900999"


@dataclass
class Rig:
    base: str  # where the console really listens
    standin: TwilioStandin
    twilio: Twilio
    outbox: Outbox


@pytest.fixture
def rig(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Rig]:
    token_file = tmp_path / "twilio.token"
    token_file.write_text(TOKEN + "\n")
    provider = {
        "name": "twilio1",
        "kind": "twilio",
        "account": ACCOUNT,
        "token_file": str(token_file),
        "sender": SENDER,
        "callback_url": PUBLIC,
    }
    cfg = config.from_dict({"database": {"url": db_url}, "provider": [provider]})
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    with TwilioStandin(deliver_after=1.0, callbacks_via=server.url) as standin:
        adapter = Twilio(dataclasses.replace(cfg.providers[0], url=standin.url), TOKEN)
        yield Rig(server.url, standin, adapter, Outbox(engine, OutboxConfig(), node="gw1"))
    server.stop()


def handed_to_twilio(rig: Rig, engine: Engine, text: str = "Hare coursing at Docking") -> int:
    """A message claimed for twilio1, sent through the stand-in and marked sent with its
    sid, as the provider worker does."""
    msg_id = rig.outbox.enqueue(TO, text)
    claimed = rig.outbox.claim("twilio1")
    assert claimed is not None and claimed.id == msg_id
    sid = rig.twilio.send(TO, text).ref
    with engine.begin() as conn:
        assert states.finish_in(conn, msg_id, "gw1", status="sent", refs=sid, sent_at=utcnow())
    return msg_id


def status_of(engine: Engine, msg_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(Message.status, Message.last_error).where(Message.id == msg_id))
        return tuple(row.one())  # type: ignore[return-value]


def post(base: str, path: str, form: dict[str, str], sig: str | None) -> tuple[int, str, str]:
    headers = {"X-Twilio-Signature": sig} if sig is not None else {}
    req = urllib.request.Request(
        base + path, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


def test_twilios_signed_status_callbacks_settle_the_message(rig: Rig, engine: Engine) -> None:
    msg_id = handed_to_twilio(rig, engine)
    deadline = time.monotonic() + 8
    while status_of(engine, msg_id)[0] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status_of(engine, msg_id) == ("delivered", None)
    words = [(c.params["MessageStatus"], c.answer) for c in rig.standin.callbacks]
    assert words == [("sent", 204), ("delivered", 204)]


def test_an_undelivered_callback_fails_the_message_with_twilios_code(
    rig: Rig, engine: Engine
) -> None:
    rig.standin.failing.add(TO)
    msg_id = handed_to_twilio(rig, engine)
    deadline = time.monotonic() + 8
    while status_of(engine, msg_id)[0] != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status_of(engine, msg_id) == ("failed", "not delivered: undelivered (error 30003)")


def test_a_forged_callback_gets_403_and_changes_nothing(
    rig: Rig, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    rig.standin.deliver_after = 3600  # no real callback while we forge
    msg_id = handed_to_twilio(rig, engine)
    sid = rig.standin.messages[0].sid
    form = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT}
    path = "/hooks/twilio/twilio1/status"
    forgeries = [
        None,  # no signature at all
        signature(STATUS_URL, form, "not-the-token"),
        signature(rig.base + path, form, TOKEN),  # the URL it came in on, not Twilio's
        signature(STATUS_URL, {**form, "MessageStatus": "failed"}, TOKEN),  # another form
    ]
    with caplog.at_level(logging.WARNING, logger="web.hooks"):
        for sig in forgeries:
            assert post(rig.base, path, form, sig)[0] == 403
    assert status_of(engine, msg_id) == ("sent", None)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 4 and "no X-Twilio-Signature" in refused[0]
    # The same request, signed as Twilio signs it, is taken: the 403s were the signature.
    assert post(rig.base, path, form, signature(STATUS_URL, form, TOKEN))[0] == 204
    assert status_of(engine, msg_id) == ("delivered", None)


def test_an_unknown_provider_is_404(rig: Rig) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    url = f"{PUBLIC}/hooks/twilio/nosuch/status"
    assert (
        post(rig.base, "/hooks/twilio/nosuch/status", form, signature(url, form, TOKEN))[0] == 404
    )


def inbound_rows(engine: Engine) -> list[tuple[str, str, str, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                InboundMessage.sender,
                InboundMessage.text,
                InboundMessage.modem,
                InboundMessage.routed_at.is_not(None),
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_text_to_the_twilio_number_is_filed_once_and_routed(rig: Rig, engine: Engine) -> None:
    sid = "SM" + "7" * 32
    text = "Silver pickup with lurchers on the Docking road"
    for _ in range(2):  # Twilio posts again when it thinks the first went unanswered
        status, body = rig.standin.post_inbound(SMS_URL, TO, text, sid=sid)
        assert status == 200 and "<Response/>" in body
    assert inbound_rows(engine) == [(TO, text, "twilio1", True)]
    # Another text from the same person is another text.
    assert rig.standin.post_inbound(SMS_URL, TO, text, sid="SM" + "8" * 32)[0] == 200
    assert len(inbound_rows(engine)) == 2


def test_the_sms_hook_answers_empty_twiml_as_xml(rig: Rig) -> None:
    form = {"MessageSid": "SM" + "9" * 32, "From": TO, "Body": "hello", "AccountSid": ACCOUNT}
    status, kind, body = post(
        rig.base, "/hooks/twilio/twilio1/sms", form, signature(SMS_URL, form, TOKEN)
    )
    assert (status, kind.split(";")[0]) == (200, "text/xml")
    assert body.endswith("<Response/>")


def test_a_forged_text_is_refused_and_not_filed(rig: Rig, engine: Engine) -> None:
    form = {"MessageSid": "SM" + "6" * 32, "From": TO, "Body": "STOP", "AccountSid": ACCOUNT}
    path = "/hooks/twilio/twilio1/sms"
    assert post(rig.base, path, form, signature(SMS_URL, form, "guessed"))[0] == 403
    assert post(rig.base, path, form, None)[0] == 403
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(InboundMessage)) == 0
