"""Wake this gateway's workers the moment another process queues work (PostgreSQL).

Every transaction that adds outbound work sends `NOTIFY smsgw_outbox` (gateway/outbox/queue.py);
this thread LISTENs on its own connection and wakes the local workers, so a message
queued by the console or by another gateway starts at once instead of at the next poll.
The poll stays as the safety net: a lost connection only costs speed until it is back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from gateway.outbox.queue import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

WAIT = 1.0  # seconds per wait for notifications: how quickly stop() is noticed
BACKOFF = 5.0  # seconds before listening again after the connection failed


def conninfo(url: str) -> str:
    """The libpq form of a SQLAlchemy URL such as postgresql+psycopg://u@host/db."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    def __init__(self, url: str, wake: Callable[[], None]) -> None:
        self.conninfo = conninfo(url)
        self.wake = wake
        self.listening = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=WAIT * 3)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                log.warning("listening for new work failed (polling meanwhile): %s", exc)
            self.listening.clear()
            self._stopping.wait(BACKOFF)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.listening.set()
            log.info("listening for new work on %s", NOTIFY_CHANNEL)
            while not self._stopping.is_set():
                if any(True for _ in conn.notifies(timeout=WAIT)):
                    self.wake()
