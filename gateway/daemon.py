"""The gateway daemon: one worker thread per modem around one database.

Signal handlers only set a flag; the main thread notices and stops the workers, which
finish the message in hand before they let go of their modem.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from sqlalchemy import Engine

from gateway import migrate
from gateway.alerts import Alerts
from gateway.config import Config
from gateway.db import make_engine
from gateway.drivers import BuiltModem, build
from gateway.inbound import Inbox, MessageHandler
from gateway.inbound_router import InboundRouter
from gateway.operator_commands import OperatorDesk
from gateway.outbox import Outbox
from gateway.rota import Rota
from gateway.rota_notices import RotaNotices
from gateway.scheduler import Scheduler
from gateway.send_gate import SendGate
from gateway.sightings import Sightings
from gateway.subscribers import Subscribers
from gateway.worker import ModemWorker

log = logging.getLogger(__name__)


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
        self.outbox = Outbox(self.engine, config.outbox, config.node)
        self.inbox = Inbox(self.engine, config.inbound)
        self.subscribers = Subscribers(self.engine, config.gateway.country)
        self.router = InboundRouter(self.engine, config, self.outbox, self.subscribers)
        self.gate = SendGate(self.subscribers, config.gateway.timezone)
        self.handlers: list[MessageHandler] = [self.router, *handlers]
        self.alerts = Alerts(self.engine, self.outbox, self.subscribers)
        self.router.alerts = self.alerts
        self.rota = Rota(self.engine, config.gateway.country)
        self.sightings = Sightings(self.engine, config, self.outbox, self.rota)
        self.router.desk = OperatorDesk(self.rota, self.sightings, self.alerts)
        self.router.on_report.append(self.sightings.file)
        self.notices = RotaNotices(self.engine, config, self.outbox, self.rota)
        self.scheduler = Scheduler(self.engine, self.alerts, self.sightings, self.notices)
        self.workers: list[ModemWorker] = []
        self.built: list[BuiltModem] = []
        self.stopping = threading.Event()

    def start(self) -> None:
        migrate.upgrade(self.engine)
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
        for worker in self.workers:
            worker.start()
        self.alerts.resume()
        self.scheduler.start()
        log.info(
            "gateway %s started with %d modem(s): %s",
            self.config.node,
            len(names),
            ", ".join(names) or "none",
        )

    def stop(self) -> None:
        self.scheduler.stop()
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            worker.join(timeout=30)
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
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()
        return 0
