"""Alerts: one text to every subscriber of the chosen lists, fast, in a deliberate order.

Recipients go out list by list in the order chosen, key contacts first within each,
each number once, the opted-out left out; an alert `near` a place goes only to the
members within its radius (gateway/alerts/near.py), chosen when it goes. The fan-out
commits in chunks so the first recipients are on the wire while the rest are still being
queued; it is resumable, so a crash in the middle queues the rest at the next start and
nobody twice. What an alert is and is called: gateway/alerts/info.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, select, update

from gateway.alerts.cost import preview
from gateway.alerts.info import AlertInfo as AlertInfo
from gateway.alerts.info import info_of as info_of
from gateway.alerts.info import phase as phase
from gateway.alerts.near import Near, near_of, reached_by_email, reached_by_text
from gateway.alerts.reach import EMAIL, SIM, Reach, Share
from gateway.core import audit
from gateway.core.db import temporary_ref, utcnow
from gateway.core.errors import GatewayError
from gateway.core.geo import Point
from gateway.core.models import Alert, InboundMessage, Message
from gateway.outbox.queue import PRIORITIES, STATES, Outbox
from gateway.outbox.rows import Item
from gateway.subscribers.service import Subscribers

log = logging.getLogger(__name__)

CHUNK = 2000  # messages per commit during a fan-out: the first chunk starts the modems
REPLY_WINDOW = timedelta(hours=24)  # a text this soon after an alert is a reply to it
MAX_TEXT = 1000  # characters; past this an "alert" is a letter, and costs a fortune


class AlertError(GatewayError, ValueError):
    """An alert that cannot be sent as asked; the text says why."""


class Alerts:
    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        subscribers: Subscribers,
        reach: Reach | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.subscribers = subscribers
        self.reach = reach  # which channel each recipient goes by; None: SIMs only

    def create(
        self,
        text: str,
        lists: Sequence[str],
        *,
        by: str,
        send_at: datetime | None = None,
        footer: str = "",
        smart: bool = True,
        source: str | None = None,
        near: Point | None = None,
        radius_km: float | None = None,
        include_unplaced: bool = False,
        near_text: str = "",
    ) -> AlertInfo:
        """Record an alert and, unless it is for later, queue it to every recipient now.

        The text is what the preview showed: smart-encoded (unless `smart` is off) with
        the footer on its own line. With a `source` (the text that asked for it), an alert
        already made from that source is returned instead of a second one. With `near`
        and `radius_km`, only the members that close (and with `include_unplaced`, those
        with no location); `near_text` is the place as the operator gave it.
        """
        if source is not None:
            made = self.from_source(source)
            if made is not None:
                return made
        with self.engine.begin() as conn:
            alert_id, _ = self.create_in(
                conn,
                text,
                lists,
                by=by,
                send_at=send_at,
                footer=footer,
                smart=smart,
                source=source,
                near=near_of(near, radius_km, include_unplaced, near_text),
            )
        return self.start(alert_id)

    def create_in(
        self,
        conn: Connection,
        text: str,
        lists: Sequence[str],
        *,
        by: str,
        send_at: datetime | None = None,
        footer: str = "",
        smart: bool = True,
        source: str | None = None,
        near: Near | None = None,
    ) -> tuple[int, str]:
        """Record an alert and its audit entry in the caller's transaction, so that what
        else it writes (a relayed report taken) is done with it or not at all; returns its
        id and reference. After the commit, `start` it. A crash in between loses nothing: `resume`
        fans out every alert still sending at the next start."""
        if len(text) + len(footer) > MAX_TEXT:
            raise AlertError(f"an alert is at most {MAX_TEXT} characters")
        text = preview(text, footer=footer, smart=smart).text if text.strip() else ""
        if not text:
            raise AlertError("an alert needs a text")
        if not lists:
            raise AlertError("choose at least one list")
        ids = [self.subscribers.require_list(name).id for name in lists]
        ids = list(dict.fromkeys(ids))  # a list named twice counts once
        now = utcnow()
        later = send_at is not None and send_at > now
        alert_id = conn.execute(
            insert(Alert).returning(Alert.id),
            {
                "ref": temporary_ref(),
                "text": text,
                "list_ids": ",".join(map(str, ids)),
                "priority": PRIORITIES["urgent"],
                "status": "scheduled" if later else "sending",
                "created_by": by,
                "created_at": now,
                "send_at": send_at if later else None,
                "source": source,
                **(near.columns() if near else {}),
            },
        ).scalar_one()
        ref = f"A{1000 + alert_id}"
        conn.execute(update(Alert).where(Alert.id == alert_id).values(ref=ref))
        audit.record_in(
            conn,
            by,
            "alert-scheduled" if later else "alert-sent",
            f"{ref} to lists {','.join(lists)}{near.audited() if near else ''}: {text}",
        )
        return int(alert_id), ref

    def start(self, alert_id: int) -> AlertInfo:
        """An alert `create_in` recorded, once committed: queued to every recipient now,
        unless it is for later."""
        with self.engine.connect() as conn:
            row = conn.execute(select(Alert).where(Alert.id == alert_id)).one()
        if row.status == "sending" and row.started_at is None:
            self.fan_out(alert_id)
        found = self.get(row.ref)
        assert found is not None
        return found

    def from_source(self, source: str) -> AlertInfo | None:
        """The alert made from this text, if one was (a text routed again)."""
        with self.engine.connect() as conn:
            ref = conn.scalar(select(Alert.ref).where(Alert.source == source))
        if ref is None:
            return None
        log.info("alert %s was already made from %s", ref, source)
        self.resume()  # a crash may have cut its fan-out short
        return self.get(ref)

    def fan_out(self, alert_id: int) -> int:
        """Queue the alert to each recipient not yet queued; returns how many were added.

        Two fan-outs of one alert may run at once (a daemon's `resume` at its start while
        `smsgw alert` is still queueing; two gateways resuming together): each chunk is
        checked against what is queued under the alert's lock, so nobody gets it twice."""
        with self.engine.connect() as conn:
            row = conn.execute(select(Alert).where(Alert.id == alert_id)).one()
            done = set(conn.scalars(select(Message.to).where(Message.alert_id == alert_id)))
        info = info_of(row)
        if info.status not in ("sending", "scheduled"):
            return 0
        chosen: list[Item] = [
            (r.phone, info.text, r.list_id)
            for r in reached_by_text(self.subscribers, info.list_ids, info.near)
            if r.phone not in done
        ]
        shares = self.reach.split(len(chosen)) if self.reach else [Share(SIM, len(chosen))]
        known, added, start = len(done), 0, 0
        for share in shares:
            items = chosen[start : start + share.count]
            known, n = self._queue(items, alert_id, share.channel, known)
            added, start = added + n, start + share.count
        if self.reach is not None and self.reach.email_on:
            emails: list[Item] = [
                (r.email, info.text, r.list_id)
                for r in reached_by_email(self.subscribers, info.list_ids, info.near)
                if r.email not in done
            ]
            known, n = self._queue(emails, alert_id, EMAIL, known)
            added += n
        with self.engine.begin() as conn:  # `known`: every message of the alert, anyone's
            conn.execute(
                update(Alert)
                .where(Alert.id == alert_id)
                .values(status="sending", started_at=utcnow(), recipients=known)
            )
        log.info("alert %s queued to %d recipient(s)", info.ref, added)
        return added

    def _queue(
        self, items: Sequence[Item], alert_id: int, channel: str, known: int
    ) -> tuple[int, int]:
        """In chunks, so the first recipients are on their way while the rest are queued.
        `known` is how many messages the alert had; returns how many it has after and how
        many this call queued. Those another fan-out queued first are left out."""
        added = 0
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            with self.engine.begin() as conn:
                # A write first: SQLite's write lock, PostgreSQL's row lock on the alert,
                # held to the commit, so what is read next cannot change before it.
                conn.execute(update(Alert).where(Alert.id == alert_id).values(status=Alert.status))
                now_known = conn.scalar(
                    select(func.count()).select_from(Message).where(Message.alert_id == alert_id)
                )
                if now_known != known:  # someone else queued some: leave theirs out
                    queued = set(
                        conn.scalars(
                            select(Message.to).where(
                                Message.alert_id == alert_id,
                                Message.to.in_([item[0] for item in chunk]),
                            )
                        )
                    )
                    chunk = [item for item in chunk if item[0] not in queued]
                n = self.outbox.enqueue_many_in(
                    conn, chunk, "urgent", kind="broadcast", alert_id=alert_id, channel=channel
                )
            known, added = int(now_known or 0) + n, added + n
            self.outbox.wake()
        return known, added

    def fire_due(self, now: datetime | None = None) -> list[str]:
        """Start every scheduled alert whose time has come. Claimed with one conditional
        update each, so two gateways, or a restart, never start one twice."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(Alert.id, Alert.ref).where(Alert.status == "scheduled", Alert.send_at <= now)
            ).all()
        fired = []
        for alert_id, ref in due:
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(Alert)
                    .where(Alert.id == alert_id, Alert.status == "scheduled")
                    .values(status="sending")
                )
            if won.rowcount == 1:
                self.fan_out(alert_id)
                fired.append(ref)
        return fired

    def resume(self) -> None:
        """After a restart: finish any fan-out a crash cut short. An alert whose fan-out
        finished (`started_at` set) is left alone: someone who joined since, or chose
        email since, must not get an old alert now."""
        with self.engine.connect() as conn:
            ids = list(
                conn.scalars(
                    select(Alert.id).where(Alert.status == "sending", Alert.started_at.is_(None))
                )
            )
        for alert_id in ids:
            if self.fan_out(alert_id):
                log.warning("alert %d: fan-out finished after a restart", alert_id)

    def cancel(self, ref: str, *, by: str) -> int:
        """Stop what has not been handed to a modem yet; returns how many were stopped."""
        info = self._require(ref)
        with self.engine.begin() as conn:
            conn.execute(
                update(Alert)
                .where(Alert.id == info.id)
                .values(status="cancelled", cancelled_at=utcnow(), cancelled_by=by)
            )
            stopped = self.outbox.cancel_in(conn, alert_id=info.id, by=by)
        audit.record(self.engine, by, "alert-cancelled", f"{info.ref}: {stopped} not sent")
        return stopped

    def resend_failed(self, ref: str, *, by: str) -> int:
        """Queue again only the recipients whose message failed; an opted-out recipient
        (status opted_out) is not a failure and is never sent again."""
        info = self._require(ref)
        count = self.outbox.resend_failed(alert_id=info.id)
        audit.record(self.engine, by, "alert-resent", f"{info.ref}: {count} failed queued again")
        return count

    def progress(self, ref: str) -> dict[str, int]:
        info = self._require(ref)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Message.status, func.count())
                .where(Message.alert_id == info.id)
                .group_by(Message.status)
            ).all()
        found = dict(rows)
        return {state: int(found.get(state, 0)) for state in STATES}

    def by_channel(self, alert_ids: Sequence[int]) -> dict[int, dict[str, dict[str, int]]]:
        """Each alert's messages by channel ("sim", a hosted service, "email") and state,
        only the states that have any: one query for all of them."""
        found: dict[int, dict[str, dict[str, int]]] = {i: {} for i in alert_ids}
        if alert_ids:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(Message.alert_id, Message.channel, Message.status, func.count())
                    .where(Message.alert_id.in_(list(alert_ids)))
                    .group_by(Message.alert_id, Message.channel, Message.status)
                ).all()
            for alert_id, channel, status, n in rows:
                found[alert_id or 0].setdefault(channel, {})[status] = int(n)
        return found

    def link_reply(self, sender: str, inbound_id: int) -> str | None:
        """A text from someone an alert reached lately is taken as a reply to it."""
        since = utcnow() - REPLY_WINDOW
        with self.engine.begin() as conn:
            alert_id = conn.scalar(
                select(Message.alert_id)
                .where(
                    Message.to == sender, Message.alert_id.is_not(None), Message.sent_at >= since
                )
                .order_by(Message.sent_at.desc())
                .limit(1)
            )
            if alert_id is None:
                return None
            conn.execute(
                update(InboundMessage)
                .where(InboundMessage.id == inbound_id)
                .values(alert_id=alert_id)
            )
            ref = conn.scalar(select(Alert.ref).where(Alert.id == alert_id))
        return str(ref)

    def replies(self, ref: str) -> list[tuple[str, str, datetime]]:
        """(sender, text, received) of each reply, oldest first."""
        info = self._require(ref)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(InboundMessage.sender, InboundMessage.text, InboundMessage.received_at)
                .where(InboundMessage.alert_id == info.id)
                .order_by(InboundMessage.id)
            ).all()
        return [(r.sender, r.text, r.received_at) for r in rows]

    def get(self, ref: str) -> AlertInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Alert).where(Alert.ref == ref.strip().upper())).first()
        return info_of(row) if row else None

    def _require(self, ref: str) -> AlertInfo:
        found = self.get(ref)
        if found is None:
            raise AlertError(f"no alert {ref!r}")
        return found

    def recent(self, limit: int = 50) -> list[AlertInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(Alert).order_by(Alert.id.desc()).limit(limit)).all()
        return [info_of(r) for r in rows]

    def recent_with_progress(self, limit: int = 50) -> list[tuple[AlertInfo, dict[str, int]]]:
        """The newest alerts with their messages by state: two queries however many alerts,
        where `progress` for each would be one query an alert on every page load."""
        found = self.recent(limit)
        counts: dict[int, dict[str, int]] = {a.id: dict.fromkeys(STATES, 0) for a in found}
        if found:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(Message.alert_id, Message.status, func.count())
                    .where(Message.alert_id.in_(list(counts)))
                    .group_by(Message.alert_id, Message.status)
                ).all()
            for alert_id, status, n in rows:
                if alert_id in counts and status in STATES:
                    counts[alert_id][status] = int(n)
        return [(a, counts[a.id]) for a in found]
