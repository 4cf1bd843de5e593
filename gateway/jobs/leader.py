"""Which gateway runs the scheduled jobs when several share one database.

Scheduled alerts, escalations, rota notices and lease recovery must fire once across all
gateways, not once per gateway. The gateway that holds a lock runs them; the others keep
trying, and take over within `RETRY` seconds of the holder dying:
- PostgreSQL: a session advisory lock on a connection held open for the purpose. The
  server drops it the moment that connection closes, so a `kill -9` frees it at once.
- SQLite: an exclusive `flock` on a file beside the database, which the kernel drops when
  the process dies. (Gateways sharing a SQLite file are on one machine by necessity.)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from gateway.core.db import sqlite_path

log = logging.getLogger(__name__)

RETRY = 5.0  # seconds between a follower's attempts to take over
LOCK_KEY = 0x736D_7367_77  # "smsgw": one advisory lock key for the whole installation


class Leadership:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def acquire(self) -> bool:
        """Try once, without waiting; True if this gateway leads now."""
        if self.held:
            return self.still_held()
        if self.engine.dialect.name == "postgresql":
            return self._acquire_advisory()
        return self._acquire_flock()

    def still_held(self) -> bool:
        """A lock on a connection that broke is no longer ours: find out before acting."""
        if self._conn is None:
            return self._file is not None
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except SQLAlchemyError as exc:
            log.warning("lost the scheduler lock with its connection: %s", exc)
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                # Really closed, not returned to the pool: ending the session frees the lock.
                self._conn.invalidate()
                self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()  # closing the descriptor frees the flock
            self._file = None

    def _acquire_advisory(self) -> bool:
        try:
            conn = self.engine.connect()
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            )
            conn.commit()  # the lock is the session's: it outlives the transaction
        except SQLAlchemyError as exc:
            log.warning("could not ask for the scheduler lock: %s", exc)
            return False
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _acquire_flock(self) -> bool:
        path = sqlite_path(self.engine.url.render_as_string())
        if path is None:  # an in-memory database has one process by definition
            self._file = open(os.devnull, "rb")  # noqa: SIM115 - held for the lifetime
            return True
        handle = open(f"{path}.leader", "ab")  # noqa: SIM115 - held for the lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True
