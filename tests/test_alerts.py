from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from procs import wait_for
from sqlalchemy import Engine, select, update

from gateway.alerts import near, service
from gateway.alerts.service import AlertError, Alerts
from gateway.core import audit
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine, utcnow
from gateway.core.models import Alert, Message
from gateway.jobs.scheduler import Scheduler
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers

TEXT = "Silver Subaru KX19 ABC heading to Docking, do not approach"


@pytest.fixture
def alerts(engine: Engine) -> Alerts:
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    subs.add_list("West Norfolk gamekeepers", "WNKEEPERS")
    for n in range(1, 6):
        subs.join(f"+44770090010{n}", "DOCKING", method="officer", by="pc")
    subs.join("+447700900109", "WNKEEPERS", key_contact=True, method="officer", by="pc")
    subs.join("+447700900101", "WNKEEPERS", method="officer", by="pc")  # on both lists
    subs.set_key_contact("+447700900104", "DOCKING", True, by="pc")
    subs.set_stopped("+447700900105", True)
    return Alerts(engine, Outbox(engine, OutboxConfig(), "n"), subs)


def queued(engine: Engine, alert_id: int) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.to, Message.kind, Message.priority)
            .where(Message.alert_id == alert_id)
            .order_by(Message.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_an_alert_reaches_each_recipient_once_in_a_deliberate_order(
    alerts: Alerts, engine: Engine
) -> None:
    made = alerts.create(TEXT, ["DOCKING", "West Norfolk gamekeepers"], by="op1")
    assert made.ref == f"A{1000 + made.id}" and made.recipients == 5
    assert [to for to, _, _ in queued(engine, made.id)] == [
        "+447700900104",  # Docking's key contact first
        "+447700900101",
        "+447700900102",
        "+447700900103",  # 105 sent STOP
        "+447700900109",  # then the second list; 101 already has it
    ]
    assert {(kind, prio) for _, kind, prio in queued(engine, made.id)} == {("broadcast", 0)}
    [entry] = audit.entries(engine, action="alert-sent")
    assert entry.actor == "op1" and made.ref in entry.detail


def test_cancel_stops_what_no_modem_has_taken(alerts: Alerts, engine: Engine) -> None:
    made = alerts.create(TEXT, ["DOCKING"], by="op1")
    claimed = alerts.outbox.claim("m1")
    assert claimed is not None
    assert alerts.cancel(made.ref, by="op2") == 3
    assert alerts.progress(made.ref)["cancelled"] == 3 and alerts.progress(made.ref)["sending"] == 1
    assert alerts.get(made.ref).status == "cancelled"  # type: ignore[union-attr]


def test_resend_queues_only_the_failed(alerts: Alerts, engine: Engine) -> None:
    made = alerts.create(TEXT, ["DOCKING"], by="op1")
    first = alerts.outbox.claim("m1")
    second = alerts.outbox.claim("m1")
    assert first and second
    alerts.outbox.mark_failed(first.id, "+CMS ERROR 1")
    alerts.outbox.mark_sent(second.id, [7])
    assert alerts.resend_failed(made.ref, by="op1") == 1
    assert alerts.progress(made.ref) == {
        "queued": 3,
        "sending": 0,
        "sent": 1,
        "delivered": 0,
        "failed": 0,
        "cancelled": 0,
        "opted_out": 0,
    }


def test_an_unknown_list_or_empty_text_is_refused(alerts: Alerts) -> None:
    from gateway.subscribers.service import SubscriberError

    with pytest.raises(SubscriberError):
        alerts.create(TEXT, ["NOWHERE"], by="op1")
    with pytest.raises(AlertError):
        alerts.create("   ", ["DOCKING"], by="op1")


def test_a_scheduled_alert_waits_and_fires_once(alerts: Alerts, engine: Engine) -> None:
    made = alerts.create(TEXT, ["DOCKING"], by="op1", send_at=utcnow() + timedelta(hours=1))
    assert made.status == "scheduled" and queued(engine, made.id) == []
    assert alerts.fire_due() == []
    later = utcnow() + timedelta(hours=2)
    assert alerts.fire_due(now=later) == [made.ref]
    assert alerts.fire_due(now=later) == []
    assert len(queued(engine, made.id)) == 4


def test_a_cut_short_fan_out_is_finished_without_repeats(alerts: Alerts, engine: Engine) -> None:
    made = alerts.create(TEXT, ["DOCKING"], by="op1")
    with engine.begin() as conn:  # as if the gateway died after the first chunk:
        conn.execute(  # some queued, and the fan-out never marked finished
            Message.__table__.delete().where(
                Message.alert_id == made.id, Message.to != "+447700900104"
            )
        )
        conn.execute(update(Alert).where(Alert.id == made.id).values(started_at=None))
    alerts.resume()
    assert sorted(to for to, _, _ in queued(engine, made.id)) == [
        "+447700900101",
        "+447700900102",
        "+447700900103",
        "+447700900104",
    ]


def test_a_finished_alert_is_not_sent_again_to_someone_who_joined_since(
    alerts: Alerts, engine: Engine
) -> None:
    """Review of issue 16: a restart's resume() must not send old alerts to new members
    (nor, now, by email to someone who chose it since)."""
    made = alerts.create(TEXT, ["DOCKING"], by="op1")
    before = sorted(to for to, _, _ in queued(engine, made.id))
    alerts.subscribers.join("+447700900199", "DOCKING", method="officer", by="pc")
    alerts.resume()
    assert sorted(to for to, _, _ in queued(engine, made.id)) == before


def test_a_scheduled_alert_survives_a_restart_of_the_scheduler(
    alerts: Alerts, engine: Engine
) -> None:
    made = alerts.create(TEXT, ["DOCKING"], by="op1", send_at=utcnow() + timedelta(seconds=2))
    first = Scheduler(engine, alerts)
    first.start()
    first.stop()  # the gateway restarts before the time comes
    with engine.connect() as conn:  # the job is kept in the database, not in memory
        stored = conn.exec_driver_sql("select id from apscheduler_jobs").scalars().all()
    assert f"alert-{made.id}" in stored
    second = Scheduler(engine, alerts)
    second.start()
    try:
        wait_for(
            lambda: alerts.get(made.ref).status == "sending",
            10,  # type: ignore[union-attr]
            "the alert to start",
        )
        wait_for(
            lambda: alerts.get(made.ref).started_at is not None,  # type: ignore[union-attr]
            10,
            "its fan-out to finish",
        )
    finally:
        second.stop()
    assert len(queued(engine, made.id)) == 4  # fired once


def test_two_fan_outs_of_one_alert_at_once_queue_each_recipient_once(
    alerts: Alerts, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon starting (`resume`) while `smsgw alert` is still fanning out, or two
    gateways resuming together: found by the power-cut test, where every member got one
    alert twice. Here the second fan-out runs, on its own engine, at the worst moment:
    after the first has chosen its recipients and before it queued any."""
    with engine.begin() as conn:
        alert_id, _ = alerts.create_in(conn, TEXT, ["DOCKING"], by="op1")
    other_engine = make_engine(db_url)
    other = Alerts(other_engine, Outbox(other_engine, OutboxConfig(), "m"), alerts.subscribers)
    choose = near.reached_by_text
    raced: list[int] = []

    def choose_then_race(*args: Any, **kwargs: Any) -> Any:
        chosen = list(choose(*args, **kwargs))
        if not raced:
            raced.append(0)  # the other's own choosing is not raced
            raced[0] = other.fan_out(alert_id)  # the other gateway queues them all
        return chosen

    monkeypatch.setattr(service, "reached_by_text", choose_then_race)
    try:
        first = alerts.fan_out(alert_id)
    finally:
        other_engine.dispose()
    tos = [to for to, _, _ in queued(engine, alert_id)]
    assert raced == [4]
    assert first == 0
    assert sorted(tos) == sorted(set(tos)) == [f"+44770090010{n}" for n in range(1, 5)]
    with engine.connect() as conn:
        assert conn.scalar(select(Alert.recipients).where(Alert.id == alert_id)) == 4
