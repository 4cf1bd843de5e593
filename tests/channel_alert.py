"""An alert whose messages went by the SIMs, a hosted SMS service and email, as the fan-out
and the senders leave them in the outbox: for the console's channel tests."""

from __future__ import annotations

from drama import mobile
from sqlalchemy import Engine, update

from gateway.alerts.service import AlertInfo, Alerts
from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Alert
from gateway.outbox import states
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers

DOCKING = [mobile(n) for n in range(100, 103)]
BY_FASTSMS = [mobile(n) for n in range(300, 304)]
TEXT = "Hare coursers seen near Docking: do not approach"


def outbox_of(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(), "test")


def mixed_alert(engine: Engine, hosted: str = "fastsms", text: str = TEXT) -> AlertInfo:
    """An alert to eight: three by SIM, four by a hosted service, one by email. SIM
    {queued 2, sent 1}, the service {queued 1, sent 2, delivered 1}, email {queued 1}."""
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    for phone in DOCKING:
        subs.join(phone, "DOCKING", method="officer", by="test")
    outbox = outbox_of(engine)
    made = Alerts(engine, outbox, subs).create(text, ["DOCKING"], by="operator1")
    list_id = subs.require_list("DOCKING").id
    for channel, items in (
        (hosted, [(phone, text, list_id) for phone in BY_FASTSMS]),
        ("email", [("keeper@example.org", text, list_id)]),
    ):
        outbox.enqueue_many(items, "urgent", kind="broadcast", alert_id=made.id, channel=channel)
    with engine.begin() as conn:  # as the fan-out counts them: everyone, by any channel
        conn.execute(update(Alert).where(Alert.id == made.id).values(recipients=8))
    sim = outbox.claim("m1")
    assert sim is not None and sim.to in DOCKING
    outbox.mark_sent(sim.id, [1])
    handed = []
    for n in range(3):
        taken = outbox.claim(hosted, channels=(hosted,))
        assert taken is not None and taken.to in BY_FASTSMS
        outbox.mark_handed(taken.id, f"fs-{n}", sender=hosted)
        handed.append(taken.id)
    with engine.begin() as conn:
        assert states.delivered_in(conn, handed[-1], utcnow())
    return Alerts(engine, outbox, subs).get(made.ref) or made
