"""What happens to a text once it is stored: keywords are obeyed and answered; anything
else is a report, handed to whoever listens (the sightings desk).

A sender who floods the gateway still has every text stored, but gets no more replies:
two auto-responders answering each other must not drain the SIM's allowance.

A text may be routed more than once (routing is at least once: see the worker), so every
effect is keyed by the text: its reply is queued under "reply:<id>" (a sighting's thanks
under "thanks:<id>"), a relayed alert under "inbound:<id>", a sighting once per text;
keyword changes are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, func, select

from gateway import keywords
from gateway.alerts import Alerts
from gateway.config import Config
from gateway.db import utcnow
from gateway.inbound import Received
from gateway.models import InboundMessage
from gateway.operator_commands import OperatorDesk
from gateway.outbox import Outbox
from gateway.phone import InvalidNumber
from gateway.privacy import mask
from gateway.subscribers import SubscriberError, Subscribers

log = logging.getLogger(__name__)

ReportHandler = Callable[[Received], object]


def reply_key(msg: Received) -> str:
    """The one reply a text gets, however often it is routed."""
    return f"reply:{msg.id}"


class InboundRouter:
    def __init__(
        self, engine: Engine, config: Config, outbox: Outbox, subscribers: Subscribers
    ) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.subscribers = subscribers
        self.replies = config.replies
        self.on_report: list[ReportHandler] = []
        self.alerts: Alerts | None = None  # set by the daemon: replies are linked to alerts
        self.desk: OperatorDesk | None = None  # set by the daemon: officers' commands

    def __call__(self, msg: Received) -> None:
        if self.alerts is not None:
            ref = self.alerts.link_reply(msg.sender, msg.id)
            if ref:
                log.info("inbound message %d is a reply to alert %s", msg.id, ref)
        if self.desk is not None and msg.complete:
            reply = self.desk.handle(msg.sender, msg.text, source=f"inbound:{msg.id}")
            if reply is not None:  # an officer's ACK, CLOSE or RELAY: duty, ahead of alerts
                self.outbox.enqueue(msg.sender, reply, "duty", key=reply_key(msg))
                return
        command = keywords.parse(msg.text) if msg.complete else None
        if command is None:
            for handler in self.on_report:
                handler(msg)
            return
        try:
            answer = self.obey(msg.sender, command)
        except (SubscriberError, InvalidNumber) as exc:
            log.info("keyword %s from %s not done: %s", command.kind, mask(msg.sender), exc)
            return
        if answer == self.replies.unknown_list.format(keyword=command.list_keyword):
            # "Join us at the farm" reads like JOIN US: answer it, but let the desk see it too.
            for handler in self.on_report:
                handler(msg)
        if self.flooding(msg.sender):
            log.warning(
                "%s is flooding the gateway: no reply to %s", mask(msg.sender), command.kind
            )
            return
        self.outbox.enqueue(msg.sender, answer, "normal", key=reply_key(msg))

    def flooding(self, sender: str) -> bool:
        since = utcnow() - timedelta(seconds=self.config.inbound.flood_window)
        with self.engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(InboundMessage)
                .where(InboundMessage.sender == sender, InboundMessage.received_at >= since)
            )
        return (count or 0) > self.config.inbound.flood_limit

    def obey(self, sender: str, command: keywords.Command) -> str:
        """Carry out one keyword; returns the reply text."""
        r, subs = self.replies, self.subscribers
        if command.kind == "join":
            found = subs.find_list(command.list_keyword)
            if found is None:
                return r.unknown_list.format(keyword=command.list_keyword)
            subs.join(sender, found.keyword, name=command.name, method="sms")
            return r.join.format(list=found.name, keyword=found.keyword)
        if command.kind == "stop" and command.list_keyword:
            found = subs.find_list(command.list_keyword)
            if found is None:
                return r.unknown_list.format(keyword=command.list_keyword)
            subs.leave(sender, found.keyword, method="sms")
            return r.stop_list.format(list=found.name, keyword=found.keyword)
        if command.kind == "stop":
            subs.set_stopped(sender, True, method="sms")
            return r.stop
        if command.kind == "start":
            subs.set_stopped(sender, False, method="sms")
            return r.start
        if command.kind == "lists":
            names = [f"{x.keyword} ({x.name})" for x in subs.lists()]
            return r.lists.format(lists=", ".join(names)) if names else r.no_lists
        if command.kind == "quiet-off":
            subs.set_quiet(sender, None, None)
            return r.quiet_off
        if command.kind == "quiet":
            if command.quiet_from is None or command.quiet_to is None:
                return r.quiet_help
            subs.set_quiet(sender, command.quiet_from, command.quiet_to)
            return r.quiet.format(start=f"{command.quiet_from:02d}", end=f"{command.quiet_to:02d}")
        return r.help
