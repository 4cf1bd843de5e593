"""A send's outcome written between the modem's answer and the next message's body.

This commit is the one piece of the daemon's work the radio waits for (see
gateway/modems/pipeline.py): the next body may go only once it is on disk. So it runs the
outbox's own statements (states.SENT, delivery.TRACK, the claim's choice of the next
message) on a driver connection of its own, compiled once (gateway/core/driver_sql.py),
and leaves to `Outbox.record_sent` only the rare case of a modem near its daily limits,
whose claim takes a list of numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from gateway.core.db import utcnow
from gateway.core.driver_sql import DriverStatement
from gateway.outbox import claims, delivery, states
from gateway.outbox.claims import SIM

log = logging.getLogger(__name__)

CHECKPOINT_PAGES = 1000  # SQLite's default auto-checkpoint, restored on a connection given back


class SentRecorder:
    def __init__(self, engine: Engine, node: str, modem: str) -> None:
        self.engine = engine
        self.node = node
        self.modem = modem
        dialect = engine.dialect
        self._sent = DriverStatement(states.SENT, dialect)
        self._track = DriverStatement(delivery.TRACK, dialect, delivery.TRACK_COLUMNS)
        self._first = DriverStatement(claims.FIRST_PRIORITY[(False, False, False)], dialect)
        self._conn: Any = None  # the driver's connection, checked out of the pool and kept

    def record(
        self, msg_id: int, refs: Sequence[int], *, track: bool, ahead: claims.Claimed | None
    ) -> tuple[bool, bool]:
        """Mark `msg_id` sent, in one commit; returns (done, outranked): whether it was
        still ours to mark, and whether a claim now would take a more pressing message
        than `ahead`. Raises what the database raises, leaving nothing half written."""
        try:
            return self._record(msg_id, refs, track=track, ahead=ahead)
        except Exception:
            # A connection kept for good is not pinged, as the pool's are at checkout: a
            # database restarted since (or a session dropped) fails once, so once more on a
            # fresh one. The failed transaction left nothing; had only the commit's answer
            # been lost, the second UPDATE finds the message no longer `sending`.
            log.warning("%s: outcome of message %d: trying a fresh connection", self.modem, msg_id)
            return self._record(msg_id, refs, track=track, ahead=ahead)

    def _record(
        self, msg_id: int, refs: Sequence[int], *, track: bool, ahead: claims.Claimed | None
    ) -> tuple[bool, bool]:
        now = utcnow()
        conn = self._connection()
        try:
            cursor = conn.cursor()
            done = self._sent.execute(cursor, states.sent_values(msg_id, self.node, now, refs))
            done = done.rowcount == 1
            if done and refs and track:
                self._track.execute_many(cursor, delivery.track_rows(msg_id, self.modem, refs, now))
            first = None
            if ahead is not None:
                self._first.execute(cursor, {"b_now": now, "b_channel": SIM})
                row = cursor.fetchone()
                first = None if row is None else row[0]
            cursor.close()
            conn.commit()
        except Exception:
            self._drop()
            raise
        return done, first is not None and ahead is not None and first < ahead.priority

    def _connection(self) -> Any:
        if self._conn is None:
            conn = self.engine.raw_connection()
            if self.engine.dialect.name == "sqlite":
                # Its commits never run a checkpoint: the claims' commits, made while the
                # radio works, do (SQLite checkpoints on whichever commit passes the limit).
                conn.execute("PRAGMA wal_autocheckpoint=0")
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        """After an error: the connection is discarded; the next record takes a fresh one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.invalidate()

    def close(self) -> None:
        """Give the connection back to the pool, checkpointing again as SQLite's others do."""
        conn, self._conn = self._conn, None
        if conn is not None:
            if self.engine.dialect.name == "sqlite":
                conn.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
            conn.close()
