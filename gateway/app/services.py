"""The gateway's services, built once from (config, engine) and shared by whoever runs
them: the daemon, a command of the CLI, the console (on `app.extensions["smsgw"]`).

Each service is built the first time it is asked for, its module imported only then:
`smsgw send` builds and imports the outbox and nothing else, so a one-shot command pays
only for what it uses. The router is composed here, in the open: what a text can become
(a reply to an alert, an officer's command, a sighting) is passed to its constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy import Engine

from gateway.core import events
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


T = TypeVar("T")


class built_once(Generic[T]):
    """functools.cached_property with a lock of its own (Python 3.12 took out the one 3.11
    has): the console's threads share one Services and must get one of each service. Once
    built, the value sits in the instance's dict and is read without the lock."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> built_once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> T | built_once[T]:
        if obj is None:
            return self
        with obj._building:  # type: ignore[attr-defined]
            if self.name not in obj.__dict__:
                obj.__dict__[self.name] = self.build(obj)
            return obj.__dict__[self.name]  # type: ignore[no-any-return]


class Services:
    """One of each service over one engine, each built the first time it is asked for."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        events.configure(config.webhooks)  # what the low layers queue for the webhooks
        self._building = threading.RLock()  # a service built asks for the ones it needs

    @built_once
    def outbox(self) -> Outbox:
        from gateway.outbox.queue import Outbox

        return Outbox(self.engine, self.config.outbox, self.config.node)

    @built_once
    def inbox(self) -> Inbox:
        from gateway.inbox.store import Inbox

        return Inbox(self.engine, self.config.inbound)

    @built_once
    def subscribers(self) -> Subscribers:
        from gateway.subscribers.service import Subscribers

        return Subscribers(self.engine, self.config.gateway.country, self.config.rota.gazetteer)

    @built_once
    def gate(self) -> SendGate:
        """What a broadcast part asks before it goes: opted out, quiet hours."""
        from gateway.subscribers.gate import SendGate

        return SendGate(self.subscribers, self.config.gateway.timezone)

    @built_once
    def alerts(self) -> Alerts:
        from gateway.alerts.reach import Reach
        from gateway.alerts.service import Alerts

        return Alerts(self.engine, self.outbox, self.subscribers, Reach(self.engine, self.config))

    @built_once
    def rota(self) -> Rota:
        from gateway.rota.service import Rota

        return Rota(self.engine, self.config.gateway.country)

    @built_once
    def sightings(self) -> Sightings:
        from gateway.sightings.desk import Sightings

        return Sightings(self.engine, self.config, self.outbox, self.rota)

    @built_once
    def desk(self) -> OperatorDesk:
        """Officers' ACK, CLOSE and RELAY by SMS."""
        from gateway.routing.officers import OperatorDesk

        return OperatorDesk(self.rota, self.sightings, self.alerts)

    @built_once
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
