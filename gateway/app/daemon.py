"""The gateway daemon: one worker thread per modem around one database.

Signal handlers only set a flag; the main thread notices and stops the workers, which
finish the message in hand before they let go of their modem.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from gateway.app.services import Services
from gateway.channels.build import workers as channel_workers
from gateway.channels.worker import ChannelWorker
from gateway.core import migrate, systemd
from gateway.core.config import Config
from gateway.core.db import make_engine
from gateway.inbox.store import MessageHandler
from gateway.jobs.scheduler import Scheduler
from gateway.modems.drivers import BuiltModem, build
from gateway.modems.worker import ModemWorker
from gateway.rota.notices import RotaNotices

if TYPE_CHECKING:
    from gateway.jobs.webhooks import WebhookWorker
    from gateway.outbox.listen import OutboxListener

log = logging.getLogger(__name__)

STALL_LIMIT = 300.0  # seconds one turn of a worker's loop may take: longer means hung


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        engine: Engine | None = None,
        handlers: Sequence[MessageHandler] = (),
    ) -> None:
        self.config = config
        self.engine = engine or make_engine(config.database.url)
        self.services = services = Services(config, self.engine)
        # The daemon runs every one: all built here, in this thread, before a worker starts.
        self.outbox = services.outbox
        self.inbox = services.inbox
        self.subscribers = services.subscribers
        self.gate = services.gate
        self.alerts = services.alerts
        self.rota = services.rota
        self.sightings = services.sightings
        self.router = services.router
        self.handlers: list[MessageHandler] = [self.router, *handlers]
        self.notices = RotaNotices(self.engine, config, self.outbox, self.rota)
        self.scheduler = Scheduler(
            self.engine, self.alerts, self.sightings, self.notices, self.outbox
        )
        self.hooks: WebhookWorker | None = None
        if config.webhooks:
            from gateway.jobs.webhooks import WebhookWorker  # its HTTP client: only when used

            self.hooks = WebhookWorker(self.engine, config.webhooks)
        self.listener: OutboxListener | None = None
        if self.engine.dialect.name == "postgresql":
            from gateway.outbox.listen import OutboxListener  # psycopg: only with PostgreSQL

            self.listener = OutboxListener(config.database.url, self.outbox.wake)
        self.workers: list[ModemWorker] = []
        self.channels: list[ChannelWorker] = []  # hosted SMS services and email
        self.built: list[BuiltModem] = []
        self.stopping = threading.Event()

    def start(self) -> None:
        migrate.ensure_current(self.engine)
        names = [m.name for m in self.config.modems]
        self.outbox.requeue_stale(names)
        for settings in self.config.modems:
            built = build(settings)
            self.built.append(built)
            worker = ModemWorker(
                built.modem,
                settings,
                self.config,
                self.engine,
                self.outbox,
                self.inbox,
                self.handlers,
                probe=built.probe,
                gate=self.gate,
            )
            self.outbox.add_listener(worker.wake.set)
            self.workers.append(worker)
        self.channels = channel_workers(
            self.config, self.engine, self.outbox, self.gate, self.inbox, self.handlers
        )
        # What a hosted service or email holds `sending` is asked about, never requeued
        # blind; what was queued for a service no longer configured goes by the SIMs.
        self.outbox.keep_on_lease = tuple(c.name for c in self.channels)
        sending = {c.name for c in self.channels if c.use != "never"} | {"sim", "email"}
        self.outbox.rechannel(self.outbox.queued_channels() - sending)
        for channel in self.channels:
            self.outbox.add_listener(channel.wake.set)
        for worker in self.workers:
            worker.start()
        for channel in self.channels:
            channel.start()
        self.alerts.resume()
        self.scheduler.start()
        if self.hooks is not None:
            self.hooks.start()
        if self.listener is not None:
            self.listener.start()
        log.info(
            "gateway %s started with %d modem(s): %s%s",
            self.config.node,
            len(names),
            ", ".join(names) or "none",
            "".join(f"; {c.kind} {c.name} ({c.use})" for c in self.channels),
        )

    def stop(self) -> None:
        self.scheduler.stop()
        if self.hooks is not None:
            self.hooks.stop()
            self.hooks.join(timeout=15)
        if self.listener is not None:
            self.listener.stop()
        for worker in self.workers:
            worker.stop()
        for channel in self.channels:
            channel.stop()
        for worker in self.workers:
            worker.join(timeout=30)
        for channel in self.channels:
            channel.join(timeout=30)
        for built in self.built:
            built.cleanup()
        log.info("gateway %s stopped", self.config.node)

    def serve(self) -> int:
        """Run until SIGTERM or SIGINT."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        systemd.ready(self.status_line())
        every = systemd.watchdog_interval()
        next_ping = 0.0
        try:
            while not self.stopping.wait(min(1.0, every or 1.0)):
                if every is not None and time.monotonic() >= next_ping:
                    next_ping = time.monotonic() + every
                    self.ping_watchdog()
        finally:
            systemd.stopping()
            self.stop()
        return 0

    def problem(self) -> str | None:
        """Why the gateway is not working, or None: what the watchdog ping rests on."""
        for worker in self.workers:
            if worker.stalled(STALL_LIMIT):
                return f"modem {worker.name}'s worker has not turned in {STALL_LIMIT:.0f} s"
        for channel in self.channels:
            if channel.stalled(STALL_LIMIT):
                return (
                    f"{channel.kind} {channel.name}'s worker has not turned in {STALL_LIMIT:.0f} s"
                )
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return f"the database does not answer: {exc}"
        return None

    def status_line(self) -> str:
        counts = self.outbox.counts()
        modems = ", ".join(f"{w.name} {w.state}" for w in self.workers) or "no modems"
        return f"{counts['queued']} queued, {counts['sending']} sending; {modems}"

    def ping_watchdog(self) -> bool:
        """Ping systemd's watchdog only when the gateway works; a hung one gets restarted."""
        problem = self.problem()
        if problem is not None:
            log.error("not pinging the watchdog: %s", problem)
            return False
        return systemd.alive(self.status_line())
