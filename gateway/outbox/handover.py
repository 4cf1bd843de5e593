"""The outbox's side of the channels beside the modems (gateway/channels/): a message a
hosted service or the mail server took, what such a sender left `sending` and must ask
about, and queues nobody sends on any more. Mixed into `Outbox`."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.outbox import claims, states
from gateway.outbox.claims import SIM, Held

log = logging.getLogger("gateway.outbox.queue")


class HandOver:
    engine: Engine
    config: OutboxConfig
    node: str

    def announce(self, conn: Connection) -> None: ...

    def _notify(self) -> None: ...

    def mark_handed(self, msg_id: int, ref: str, *, sender: str) -> None:
        """A hosted service or the mail server took it: `sent`, with the service's id for
        it, and by whom (a SIM message taken in failover now says it went by `sender`)."""
        with self.engine.begin() as conn:
            done = states.handed_in(conn, msg_id, self.node, utcnow(), ref, sender)
        if not done:
            log.warning("message %d was no longer ours to mark sent", msg_id)
            return
        log.info("message %d handed to %s (%s)", msg_id, sender, ref or "no id")

    def held_by(self, sender: str) -> list[Held]:
        """What is `sending` on `sender` with nobody to finish it: this gateway's (after a
        crash, a lost answer) and any gateway's past its lease, taken over by this one."""
        now = utcnow()
        expired = now - timedelta(seconds=self.config.lease)
        with self.engine.begin() as conn:
            found = claims.held_in(conn, self.node, sender, expired)
            return [
                h
                for h in found
                if h.claimed_by == self.node or states.adopt_in(conn, h.id, self.node, sender, now)
            ]

    def refs_sent(self, sender: str, to: str, since: datetime) -> set[str]:
        with self.engine.connect() as conn:
            return claims.refs_sent_in(conn, sender, to, since)

    def queued_channels(self) -> set[str]:
        with self.engine.connect() as conn:
            return claims.queued_channels_in(conn)

    def rechannel(self, gone: Collection[str], to: str = SIM) -> int:
        """Queued messages of channels nobody sends on any more go to `to`."""
        if not gone:
            return 0
        with self.engine.begin() as conn:
            count = states.rechannel_in(conn, gone, to)
            if count:
                self.announce(conn)
        if count:
            log.warning("%d message(s) queued for %s now go by %s", count, ", ".join(gone), to)
            self._notify()
        return count
