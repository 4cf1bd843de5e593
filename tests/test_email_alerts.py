"""An alert by each person's channel, through the whole daemon: texts through an emulated
modem on a pty, emails through a real SMTP server (aiosmtpd), each once per channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from procs import wait_for
from sqlalchemy import Engine, func, select
from test_mail import Handler, free_port

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import Message

TEXTS_ONLY = "+447700900501"
EMAIL_ONLY = "+447700900502"
BOTH = "+447700900503"
SHARED = "+447700900504"  # the same household address as BOTH: one email between them
LEFT = "+447700900505"  # chose email, then left the emails before the alert went
PUBLIC = "https://console.example.org"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Handler]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def texts(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []


def test_an_alert_goes_to_each_person_by_their_channels_once(
    tmp_path: Path, db_url: str, engine: Engine, smtp: tuple[Controller, Handler]
) -> None:
    controller, handler = smtp
    log = tmp_path / "e.log"
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test", "number": "07700 900000"},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(log)}],
            "email": {
                "host": "127.0.0.1",
                "port": controller.port,
                "sender": "alerts@example.org",
                "starttls": False,
                "public_url": PUBLIC,
            },
            "outbox": {"poll_interval": 0.05, "status_reports": False},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    subs = daemon.subscribers
    subs.add_list("Docking farms", "DOCKING")
    for phone in (TEXTS_ONLY, EMAIL_ONLY, BOTH, SHARED, LEFT):
        subs.join(phone, "DOCKING", method="officer", by="pc")
    subs.set_email(EMAIL_ONLY, "ann@example.org", channel="email")
    subs.set_email(BOTH, "Farm@Example.org", channel="both")
    subs.set_email(SHARED, "farm@example.org", channel="both")
    subs.set_email(LEFT, "gone@example.org", channel="email")
    token = subs.email_recipients([subs.require_list("DOCKING").id])[0].email_token
    made = daemon.alerts.create("Silver Subaru KX19 ABC at Docking", ["DOCKING"], by="pc")
    gone = next(
        r.email_token
        for r in subs.email_recipients([subs.require_list("DOCKING").id])
        if r.email == "gone@example.org"
    )
    assert subs.stop_email(gone, by="leave-link")  # queued already; must not go now
    daemon.start()
    try:
        wait_for(
            lambda: len(texts(log)) >= 3 and len(handler.received) >= 2, 20, "texts and emails"
        )
        wait_for(lambda: daemon.outbox.counts()["queued"] == 0, 20, "the outbox empty")
    finally:
        daemon.stop()
    assert sorted(t["to"] for t in texts(log)) == [TEXTS_ONLY, BOTH, SHARED]
    emails = {
        rcpt[0]: message_from_bytes(content, policy=policy.default)
        for _, _, rcpt, content in handler.received
    }
    assert sorted(emails) == ["ann@example.org", "farm@example.org"]  # one per address
    first = emails["ann@example.org"]
    assert isinstance(first, EmailMessage)
    assert first["Subject"] == f"Alert {made.ref}: Silver Subaru KX19 ABC at Docking"
    assert first["List-Unsubscribe"] == f"<{PUBLIC}/leave/{token}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = first.get_content()
    assert "Docking farms" in body and made.ref in body
    assert f"{PUBLIC}/leave/{token}" in body and "STOP EMAIL to +447700900000" in body
    with engine.connect() as conn:
        by = dict(
            conn.execute(
                select(Message.channel + ":" + Message.status, func.count()).group_by(
                    Message.channel, Message.status
                )
            ).all()
        )
    assert by == {"sim:sent": 3, "email:sent": 2, "email:opted_out": 1}
