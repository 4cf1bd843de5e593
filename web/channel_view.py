"""The channels an alert goes by (the SIMs, each hosted SMS service, email) as the console
words them: progress per channel on the alert pages, each channel's share in the compose
preview, and the senders beside the modems on the dashboard.

One module, so the alert page, its live JSON, the preview and the dashboard say the same
thing the same way; the numbers come from gateway.alerts (Alerts.by_channel, the preview's
ChannelShare) and gateway.modems.status (a sender's recorded state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.alerts.preview import ChannelShare
from gateway.core import clock
from gateway.modems.status import ModemView

SIM, EMAIL = "sim", "email"
STATES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "opted_out")
HANDED = ("sent", "delivered")

ByChannel = Mapping[str, Mapping[str, int]]


def label(channel: str) -> str:
    """The SIMs as "SIM", email as "email", a hosted service by its configured name."""
    return {SIM: "SIM", EMAIL: "email"}.get(channel, channel)


def _order(channel: str) -> tuple[int, str]:
    """The SIMs first (they go first), the hosted services by name, email last."""
    return (0 if channel == SIM else 2 if channel == EMAIL else 1, channel)


def beyond_sims(channels: Sequence[str] | Mapping[str, Any]) -> bool:
    """Whether anything goes by other than the SIMs: only then is a split worth showing."""
    return any(channel != SIM for channel in channels)


def summary(counts: Mapping[str, int]) -> str:
    """ "sent 480, delivered 20": the states that have any, in the order a message moves."""
    return ", ".join(f"{s.replace('_', ' ')} {counts[s]:,}" for s in STATES if counts.get(s))


def progress_rows(by_channel: ByChannel) -> list[dict[str, Any]]:
    """One row per channel an alert's messages went by, as the page and its JSON show it."""
    rows = []
    for channel in sorted(by_channel, key=_order):
        counts = by_channel[channel]
        rows.append(
            {
                "channel": channel,
                "label": label(channel),
                "total": sum(counts.values()),
                "handed": sum(counts.get(s, 0) for s in HANDED),
                "failed": counts.get("failed", 0),
                "summary": summary(counts) or "nothing yet",
            }
        )
    return rows


def took(seconds: float | None, zone: clock.Zone, now: datetime | None = None) -> str:
    """How long a channel needs for its share, and when it is done; "not today" when it
    cannot send its share today (no modem can send, or no budget is left)."""
    if seconds is None:
        return "not today"
    if seconds < 60:
        length = "under a minute"
    elif seconds < 90 * 60:
        length = f"about {round(seconds / 60)} min"
    else:
        hours, minutes = divmod(round(seconds / 60), 60)
        length = f"about {hours} h {minutes:02d} min"
    end = clock.to_local(now or datetime.now(UTC), zone) + timedelta(seconds=seconds)
    return f"{length}, done by {end:%H:%M}"


def credits(amount: float | None) -> str:
    """A hosted service's credits, without trailing zeros; "" for a channel that is free."""
    if amount is None:
        return ""
    shown = f"{amount:,.2f}".rstrip("0").rstrip(".")
    return f"{shown} credit{'' if amount == 1 else 's'}"


def share_rows(
    channels: Sequence[ChannelShare], zone: clock.Zone, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Each channel's share of an alert in the preview: who, how many, the cost, the time."""
    return [
        {
            "channel": c.channel,
            "label": label(c.channel),
            "recipients": c.recipients,
            "credits": c.credits,
            "cost": credits(c.credits) or "free",
            "time": took(c.seconds, zone, now) if c.recipients else "nothing to send",
        }
        for c in sorted(channels, key=lambda c: _order(c.channel))
    ]


def senders(modems: Sequence[ModemView]) -> tuple[list[ModemView], list[ModemView]]:
    """The modems (SIMs), and apart from them the hosted services and email, services
    first: they have no signal, network or SIM to show."""
    sims = [m for m in modems if m.channel == SIM]
    others = sorted((m for m in modems if m.channel != SIM), key=lambda m: (m.channel, m.name))
    return sims, others


def sender_counts(view: ModemView) -> str:
    """ "sent today 510, 1,490 left today" for a hosted service or email (what is left
    only under a daily cap)."""
    words = [f"sent today {view.sent_today:,}"]
    if view.day_left is not None:
        words.append(f"{view.day_left:,} left today")
    return ", ".join(words)
