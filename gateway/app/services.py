"""The gateway's services, built once from (config, engine) and shared by whoever runs
them: the daemon, a command of the CLI, the console (on `app.extensions["smsgw"]`).

Each service is built the first time it is asked for, its module imported only then:
`smsgw send` builds and imports the outbox and nothing else, so a one-shot command pays
only for what it uses. The router is composed here, in the open: what a text can become
(a reply to an alert, an officer's command, a sighting) is passed to its constructor.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from gateway.core.config import Config

if TYPE_CHECKING:
    from gateway.alerts.service import Alerts
    from gateway.inbox.store import Inbox
    from gateway.outbox.queue import Outbox
    from gateway.rota.service import Rota
    from gateway.routing.officers import OperatorDesk
    from gateway.routing.router import InboundRouter
    from gateway.sightings.desk import Sightings
    from gateway.subscribers.gate import SendGate
    from gateway.subscribers.service import Subscribers


class Services:
    """One of each service over one engine. cached_property builds each once (under a
    lock on Python 3.11, so the console's threads share one)."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.config = config
        self.engine = engine

    @cached_property
    def outbox(self) -> Outbox:
        from gateway.outbox.queue import Outbox

        return Outbox(self.engine, self.config.outbox, self.config.node)

    @cached_property
    def inbox(self) -> Inbox:
        from gateway.inbox.store import Inbox

        return Inbox(self.engine, self.config.inbound)

    @cached_property
    def subscribers(self) -> Subscribers:
        from gateway.subscribers.service import Subscribers

        return Subscribers(self.engine, self.config.gateway.country)

    @cached_property
    def gate(self) -> SendGate:
        """What a broadcast part asks before it goes: opted out, quiet hours."""
        from gateway.subscribers.gate import SendGate

        return SendGate(self.subscribers, self.config.gateway.timezone)

    @cached_property
    def alerts(self) -> Alerts:
        from gateway.alerts.service import Alerts

        return Alerts(self.engine, self.outbox, self.subscribers)

    @cached_property
    def rota(self) -> Rota:
        from gateway.rota.service import Rota

        return Rota(self.engine, self.config.gateway.country)

    @cached_property
    def sightings(self) -> Sightings:
        from gateway.sightings.desk import Sightings

        return Sightings(self.engine, self.config, self.outbox, self.rota)

    @cached_property
    def desk(self) -> OperatorDesk:
        """Officers' ACK, CLOSE and RELAY by SMS."""
        from gateway.routing.officers import OperatorDesk

        return OperatorDesk(self.rota, self.sightings, self.alerts)

    @cached_property
    def router(self) -> InboundRouter:
        """A stored text's way on: a reply is linked to its alert, an officer's command
        goes to the desk, a keyword is obeyed, anything else is filed as a sighting."""
        from gateway.routing.router import InboundRouter

        return InboundRouter(
            self.engine,
            self.config,
            self.outbox,
            self.subscribers,
            alerts=self.alerts,
            desk=self.desk,
            on_report=[self.sightings.file],
        )
