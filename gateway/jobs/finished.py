"""alert.finished: each alert once, when its fan-out is done and none of its messages is
still queued or sending (what `phase` calls "sent").

A periodic look rather than a hook in every state change: a message settles in many
places (a modem, a hosted service, a delivery report, a cancel), and the last one of an
alert is known only by counting. `alerts.finished_at` is stamped in the transaction that
queues the event, so two gateways or two looks never report one alert twice.
"""

from __future__ import annotations

from sqlalchemy import Engine, and_, exists, func, select, update

from gateway.core import events
from gateway.core.clock import utcnow
from gateway.core.models import Alert, Message

CHECK_SECONDS = 10.0  # how often the scheduler looks

_WAITING = exists().where(Message.alert_id == Alert.id, Message.status.in_(("queued", "sending")))
_DONE = and_(
    Alert.status == "sending", Alert.started_at.is_not(None), Alert.finished_at.is_(None), ~_WAITING
)


def finish_alerts(engine: Engine) -> list[str]:
    """Stamp every alert that has just finished, queueing alert.finished for each;
    returns their refs."""
    with engine.connect() as conn:
        due = conn.execute(select(Alert.id, Alert.ref, Alert.recipients).where(_DONE)).all()
    done = []
    for alert_id, ref, recipients in due:
        with engine.begin() as conn:
            won = conn.execute(
                update(Alert).where(Alert.id == alert_id, _DONE).values(finished_at=utcnow())
            ).rowcount
            if not won:
                continue
            counts = conn.execute(
                select(Message.status, func.count())
                .where(Message.alert_id == alert_id)
                .group_by(Message.status)
            ).all()
            progress = {status: int(n) for status, n in counts}
            data = {"ref": ref, "recipients": recipients, "progress": progress}
            events.emit_in(conn, "alert.finished", data)
        done.append(ref)
    return done
