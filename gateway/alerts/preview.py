"""What the control room sees before it sends: cost, reach and how long it will take.

The same `preview` the daemon's text goes through, the recipients the alert would reach,
and a finish time from each modem's measured rate and what is left of its daily budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select

from gateway.alerts.cost import Estimate, ModemRate, Preview, estimate_finish, preview
from gateway.core.config import ModemConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.modems import status as modem_status
from gateway.subscribers.service import Subscribers

# Field notes: a USB modem sends about 6 to 12 a minute; until one has a measured rate,
# plan on the middle of that.
DEFAULT_PER_MINUTE = 9.0
MEASURE_OVER = timedelta(hours=1)
MIN_SAMPLE = 10  # sends in the hour before a measured rate is trusted


@dataclass(frozen=True)
class AlertPreview:
    preview: Preview
    estimate: Estimate
    modems: tuple[ModemRate, ...]


def measured_rates(engine: Engine, settings: Sequence[ModemConfig] = ()) -> list[ModemRate]:
    """Each modem that can send now, at the rate it reached in the last hour."""
    since = utcnow() - MEASURE_OVER
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Message.modem, func.count(), func.min(Message.sent_at), func.max(Message.sent_at)
            )
            .where(Message.sent_at >= since, Message.modem.is_not(None))
            .group_by(Message.modem)
        ).all()
    history = {r[0]: (r[1], r[2], r[3]) for r in rows}
    limits = {m.name: m.max_per_minute for m in settings}
    rates = []
    for m in modem_status.all_modems(engine):
        if m.state not in ("ready", "resting"):
            continue
        count, first, last = history.get(m.name, (0, None, None))
        span = (last - first).total_seconds() if first and last else 0.0
        per_minute = (count - 1) / span * 60 if count >= MIN_SAMPLE and span > 0 else 0.0
        per_minute = per_minute or DEFAULT_PER_MINUTE
        if limits.get(m.name):
            per_minute = min(per_minute, float(limits[m.name]))
        budgets = [x for x in (m.day_left, m.recipients_left) if x is not None]
        rates.append(ModemRate(m.name, per_minute, min(budgets) if budgets else None))
    return rates


def preview_alert(
    engine: Engine,
    subscribers: Subscribers,
    text: str,
    lists: Sequence[str],
    *,
    footer: str = "",
    smart: bool = True,
    settings: Sequence[ModemConfig] = (),
) -> AlertPreview:
    ids = list(dict.fromkeys(subscribers.require_list(name).id for name in lists))
    reach = len(subscribers.recipients(ids)) if ids else 0
    shown = preview(text, footer=footer, recipients=reach, smart=smart)
    rates = measured_rates(engine, settings)
    return AlertPreview(shown, estimate_finish(reach, rates), tuple(rates))
