"""What the control room sees before it sends: cost, reach and how long it will take.

The same `preview` the daemon's text goes through, the recipients the alert would reach,
and a finish time from each modem's measured rate and what is left of its daily budget;
beyond the SIMs, each channel's share, cost and time. For an alert near a place, how many
are within the radius and how many members have no location (`near_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select

from gateway.alerts.cost import Estimate, ModemRate, Preview, estimate_finish, preview
from gateway.alerts.near import Near, reached_by_email, reached_by_text
from gateway.alerts.reach import EMAIL, SIM, Reach, Share
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
class ChannelShare:
    """The part of an alert one channel takes: "sim", a hosted service, or "email"."""

    channel: str
    recipients: int
    credits: float | None  # a hosted service's credits for it; None: nothing to pay
    seconds: float | None  # until the channel has handed over the last; None: not today

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "recipients": self.recipients,
            "credits": self.credits,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class NearCount:
    """An alert near a place: who the radius holds, and who has no location to measure."""

    near: Near
    within: int  # text recipients within the radius
    unplaced: int  # members it could reach who have no location (included or not)


@dataclass(frozen=True)
class AlertPreview:
    preview: Preview
    estimate: Estimate  # the SIMs' share
    modems: tuple[ModemRate, ...]
    channels: tuple[ChannelShare, ...] = ()
    near: NearCount | None = None


def near_summary(shown: AlertPreview) -> str:
    """What the CLI's --preview and the console say of an alert near a place: "12 within
    5 km of TF 783 385; 3 members have no location (not included)"; "" for the whole lists."""
    if shown.near is None:
        return ""
    n = shown.near
    have = "1 member has" if n.unplaced == 1 else f"{n.unplaced:,} members have"
    added = "included" if n.near.include_unplaced else "not included"
    return f"{n.within:,} {n.near.describe()}; {have} no location ({added})"


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
        if m.channel != "sim" or m.state not in ("ready", "resting"):
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
    reach: Reach | None = None,
    near: Near | None = None,
) -> AlertPreview:
    """With `reach`, the recipients split as the fan-out would split them (gateway/alerts/
    reach.py): the SIMs' share timed at their rates, each hosted service's share costed in
    its credits and timed at its `max_per_second`, and the emails. With `near`, only the
    members the fan-out would choose by place."""
    ids = list(dict.fromkeys(subscribers.require_list(name).id for name in lists))
    count = len(reached_by_text(subscribers, ids, near)) if ids else 0
    counted = None
    if near is not None:
        within, unplaced = subscribers.recipients_near(ids, near.centre, near.radius_km, False)
        counted = NearCount(near, len(within), unplaced)
    shown = preview(text, footer=footer, recipients=count, smart=smart)
    rates = measured_rates(engine, settings)
    shares = reach.split(count) if reach is not None else [Share(SIM, count)]
    by_sim = sum(s.count for s in shares if s.channel == SIM)
    estimate = estimate_finish(by_sim, rates)
    channels = [ChannelShare(SIM, by_sim, None, estimate.seconds)] if by_sim else []
    if reach is not None:
        hosted = {p.name: p for p in reach.config.providers}
        for share in shares:
            if share.channel in hosted:
                p = hosted[share.channel]
                channels.append(
                    ChannelShare(
                        p.name,
                        share.count,
                        share.count * shown.parts * p.credits_per_part,
                        _at(share.count, p.max_per_second),
                    )
                )
        if reach.email_on and ids:
            emails = len(reached_by_email(subscribers, ids, near))
            rate = reach.config.email.max_per_second
            channels.append(ChannelShare(EMAIL, emails, None, _at(emails, rate)))
    return AlertPreview(shown, estimate, tuple(rates), tuple(channels), counted)


def _at(count: int, per_second: float) -> float:
    return count / per_second if per_second > 0 else 0.0
