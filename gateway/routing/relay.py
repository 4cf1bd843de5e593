"""Relaying a report: one alert to the chosen lists, the report taken (nobody is asked
again about what has been acted on) and the relay audited, in one transaction, whether
an officer texts RELAY or an operator presses Relay at the console.

One transaction, so a crash or a failed write leaves all of it or none: never an alert
whose report still climbs to the desk, nor one the officer is asked to send again. An
alert asked for by a text carries the text as its `source` (unique), and that text,
routed again, finds its alert instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.alerts.service import AlertInfo, Alerts
from gateway.core import audit
from gateway.rota.service import OperatorInfo
from gateway.sightings.desk import SightingInfo, Sightings

RELAYED = "sighting-relayed"


def relay(
    alerts: Alerts,
    sightings: Sightings,
    info: SightingInfo,
    text: str,
    lists: Sequence[str],
    *,
    by: str,
    operator: OperatorInfo | None = None,
    source: str | None = None,
) -> AlertInfo:
    """Relay the report as `text` to `lists`; raises AlertError or SubscriberError (and
    nothing is written) when the alert cannot be made. `operator`: the officer relaying
    by SMS; `source`: the text that asked for it."""
    with alerts.engine.begin() as conn:
        alert_id, ref = alerts.create_in(conn, text, lists, by=by, source=source)
        sightings.take_in(conn, info.ref, by=by, operator=operator)
        audit.record_in(conn, by, RELAYED, _detail(info, ref, lists))
    return alerts.start(alert_id)


def relayed_from(
    alerts: Alerts,
    sightings: Sightings,
    info: SightingInfo,
    source: str,
    lists: Sequence[str],
    *,
    by: str,
    operator: OperatorInfo | None = None,
) -> AlertInfo | None:
    """The alert already made from the text `source`, or None. A text is routed again
    after a crash, from the database, without its PIN: the relay it asked for is found,
    not asked for again. What a gateway before one-transaction relays may have left
    undone (the report taken, the audit entry) is done now."""
    made = alerts.from_source(source)
    if made is None:
        return None
    detail = _detail(info, made.ref, lists)
    logged = audit.since(alerts.engine, made.created_at, actions=(RELAYED,), detail_prefix=detail)
    with alerts.engine.begin() as conn:
        sightings.take_in(conn, info.ref, by=by, operator=operator)
        if not logged:
            audit.record_in(conn, by, RELAYED, detail)
    return made


def _detail(info: SightingInfo, alert_ref: str, lists: Sequence[str]) -> str:
    return f"{info.ref} as {alert_ref} to {', '.join(lists)}"
