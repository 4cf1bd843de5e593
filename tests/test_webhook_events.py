"""Webhook events: each written once by its action, in its transaction; the config's
checks; the delivery worker's back-off; the backlog in status and doctor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hook_receiver import Receiver
from sqlalchemy import Engine, select, update

from gateway.app.services import Services
from gateway.app.status import status_report, webhook_line
from gateway.core import config as config_mod
from gateway.core import events
from gateway.core.db import utcnow
from gateway.core.models import Message, WebhookEvent
from gateway.doctor.webhooks import webhook_checks
from gateway.inbox.messages import IncomingPart
from gateway.jobs.finished import finish_alerts
from gateway.jobs.webhooks import WebhookWorker
from gateway.modems import status as modem_status

KEEPER = "+447700900501"
OFFICER = "+447700900601"
OTHER = "+447700900777"


def _config(db_url: str, tmp_path: Path, url: str, **hook: Any) -> config_mod.Config:
    secret = tmp_path / "hook.secret"
    secret.write_text("a-shared-secret\n")
    table = {"url": url, "secret_file": str(secret), "retry_base": 30, **hook}
    return config_mod.from_dict(
        {"database": {"url": db_url}, "gateway": {"node": "n"}, "webhook": [table]}
    )


@pytest.fixture
def services(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[Services]:
    yield Services(_config(db_url, tmp_path, "http://127.0.0.1:9/none"), engine)
    events.configure(())  # the registry is the process's: leave it empty for other tests


def _rows(engine: Engine, type_: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.scalars(select(WebhookEvent.data).where(WebhookEvent.type == type_)).all()
    return [json.loads(data) for data in found]


def test_each_event_is_written_once_by_its_action(services: Services, engine: Engine) -> None:
    now = utcnow()
    [text] = services.inbox.store("e1", IncomingPart(KEEPER, now, "KX19 ABC lamping at Docking"))
    assert _rows(engine, "inbound.received") == [
        {"id": text.id, "from": KEEPER, "text": "KX19 ABC lamping at Docking"}
    ]
    op = services.rota.add_operator("PC 601", OFFICER)
    services.rota.add_shift(op.id, now - timedelta(hours=1), now + timedelta(hours=8))
    info = services.sightings.file(text)
    services.sightings.file(text)  # routed again: filed once, reported once
    [filed] = _rows(engine, "sighting.filed")
    assert filed["ref"] == info.ref and filed["from"] == KEEPER
    assert filed["registrations"] == ["KX19 ABC"] and filed["status"] == "open"
    assert _rows(engine, "sighting.escalated") == []
    services.sightings.escalate_due(now + timedelta(hours=1))
    [escalated] = _rows(engine, "sighting.escalated")
    assert escalated["ref"] == info.ref
    assert services.sightings.acknowledge_by_user(info.ref, "pc")
    assert not services.sightings.acknowledge_by_user(info.ref, "pc")
    [taken] = _rows(engine, "sighting.acknowledged")
    assert taken["status"] == "acknowledged"

    claimed = services.outbox.claim("e1")
    assert claimed is not None
    services.outbox.mark_failed(claimed.id, "SIM refused it")
    assert _rows(engine, "message.failed") == [
        {"id": claimed.id, "to": claimed.to, "error": "SIM refused it", "channel": "sim"}
    ]

    for state in ("ready", "no-signal", "no-signal", "starting", "ready"):
        modem_status.record(engine, "e1", "n", state=state, detail="")
    assert _rows(engine, "modem.down") == [{"name": "e1", "state": "no-signal", "detail": ""}]


def test_alert_finished_once_when_its_last_message_settles(
    services: Services, engine: Engine
) -> None:
    services.subscribers.add_list("Docking farms", "DOCKING")
    for phone in (KEEPER, OTHER):
        services.subscribers.join(phone, "DOCKING", method="officer", by="pc")
    alert = services.alerts.create("Hare coursers about", ["DOCKING"], by="pc")
    assert finish_alerts(engine) == []  # two messages still queued
    with engine.begin() as conn:
        conn.execute(update(Message).where(Message.to == KEEPER).values(status="sent"))
    assert finish_alerts(engine) == []  # one still queued
    with engine.begin() as conn:
        conn.execute(update(Message).where(Message.to == OTHER).values(status="failed"))
    assert finish_alerts(engine) == [alert.ref]
    assert finish_alerts(engine) == []
    assert _rows(engine, "alert.finished") == [
        {"ref": alert.ref, "recipients": 2, "progress": {"sent": 1, "failed": 1}}
    ]


def test_no_webhook_no_rows(db_url: str, engine: Engine) -> None:
    config = config_mod.from_dict({"database": {"url": db_url}})
    services = Services(config, engine)
    services.inbox.store("e1", IncomingPart(KEEPER, utcnow(), "hello"))
    modem_status.record(engine, "e1", "n", state="ready")
    modem_status.record(engine, "e1", "n", state="disconnected")
    with engine.connect() as conn:
        assert conn.scalars(select(WebhookEvent)).all() == []


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (
            {"url": "http://x/", "secret_file": "/s", "colour": "red"},
            "unknown key webhook[0].colour",
        ),
        ({"url": "http://x/", "secret_file": "/s", "events": ["sms.sent"]}, "unknown event"),
        ({"url": "http://x/"}, "webhook[0].secret_file is required"),
        ({"url": "ftp://x/", "secret_file": "/s"}, "webhook[0].url must start with"),
        ({"url": "http://x/", "secret_file": "/s", "timeout": "5"}, "wrong type"),
    ],
)
def test_config_errors_name_the_key(table: dict[str, Any], error: str) -> None:
    with pytest.raises(config_mod.ConfigError, match=error.replace("[", r"\[").replace("]", r"\]")):
        config_mod.from_dict({"webhook": [table]}, "smsgw.toml")


def test_config_defaults_to_every_event() -> None:
    config = config_mod.from_dict({"webhook": [{"url": "https://x/", "secret_file": "/s"}]})
    assert config.webhooks[0].events == events.EVENTS
    assert config.webhooks[0].timeout == 5.0


def test_failures_back_off_and_show_in_status_and_doctor(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    with Receiver([500]) as receiver:
        config = _config(db_url, tmp_path, receiver.url)
        services = Services(config, engine)
        try:
            modem_status.record(engine, "e1", "n", state="ready")
            modem_status.record(engine, "e1", "n", state="unresponsive", detail="no OK")
            worker = WebhookWorker(engine, config.webhooks)
            before = utcnow()
            assert worker.turn() == 1
            assert worker.turn() == 0  # not due again for retry_base (30 s)
            report = status_report(services)["webhooks"]
        finally:
            events.configure(())
    assert len(receiver.got) == 1
    assert report["waiting"] == 1
    failed = report["oldest_failure"]
    assert failed["type"] == "modem.down" and failed["error"] == "HTTP 500"
    assert failed["attempts"] == 1
    due = failed["next_attempt_at"].rstrip("Z")
    wait = (type(before).fromisoformat(due) - before).total_seconds()
    assert 29 <= wait <= 35
    assert "HTTP 500" in webhook_line(report)
    checks = list(webhook_checks(config, engine))
    assert [c.level for c in checks] == ["ok", "warn"]
    assert "1 event(s) waiting" in checks[1].detail

    (tmp_path / "hook.secret").unlink()
    assert next(c.level for c in webhook_checks(config, engine)) == "fail"


def test_a_viewer_sees_a_failing_webhooks_host_not_its_path(engine: Engine) -> None:
    """A receiver's URL may carry its own token: `/status` for a viewer shows the host."""
    secret_url = "https://incident.example.org/hooks/smsgw?token=s3cret"
    with engine.begin() as conn:
        conn.execute(
            WebhookEvent.__table__.insert().values(
                id="e1", url=secret_url, type="sighting.filed", at=utcnow(), data="{}",
                attempts=2, last_error="HTTP 500",
            )
        )  # fmt: skip
    services = Services(config_mod.Config(), engine)
    whole = status_report(services)["webhooks"]["oldest_failure"]["url"]
    shown = status_report(services, whole_numbers=False)["webhooks"]["oldest_failure"]["url"]
    assert whole == secret_url
    assert shown == "https://incident.example.org/..." and "s3cret" not in shown
