"""What happens to a text once it is stored: keywords are obeyed and answered; anything
else is a report, handed to whoever listens (the sightings desk).

A sender who floods the gateway still has every text stored, but gets no more replies:
two auto-responders answering each other must not drain the SIM's allowance. An
officer's refused command (a wrong PIN above all), or one repeating what is already done,
obeys the same limit; one that changed something is always answered.

A JOIN or STOP naming no list we have is a mistyped keyword when it is the keyword and
the word alone, or the word is close to a list's keyword: it gets one reply and is not
a sighting. With more words and nothing close ("Join us at the farm") it is a report.

A text may be routed more than once (routing is at least once: see the worker), so every
effect is keyed by the text: its reply is queued under "reply:<id>" (a sighting's thanks
under "thanks:<id>"), a relayed alert under "inbound:<id>", a sighting once per text;
keyword changes are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy import Engine

from gateway.alerts.service import Alerts
from gateway.core.config import Config
from gateway.core.phone import InvalidNumber
from gateway.core.privacy import mask
from gateway.inbox import keywords
from gateway.inbox.store import Received, texts_in_window
from gateway.outbox.queue import Outbox
from gateway.routing.officers import OperatorDesk
from gateway.subscribers.service import SubscriberError, Subscribers

log = logging.getLogger(__name__)

ReportHandler = Callable[[Received], object]


def reply_key(msg: Received) -> str:
    """The one reply a text gets, however often it is routed."""
    return f"reply:{msg.id}"


class InboundRouter:
    """Composed by gateway.app.services.Services: `alerts` links a reply to the alert it
    answers, `desk` takes officers' commands, `on_report` gets every other text."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        outbox: Outbox,
        subscribers: Subscribers,
        *,
        alerts: Alerts,
        desk: OperatorDesk,
        on_report: Iterable[ReportHandler] = (),
    ) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.subscribers = subscribers
        self.alerts = alerts
        self.desk = desk
        self.replies = config.replies
        self.on_report: list[ReportHandler] = list(on_report)

    def __call__(self, msg: Received) -> None:
        ref = self.alerts.link_reply(msg.sender, msg.id)
        if ref:
            log.info("inbound message %d is a reply to alert %s", msg.id, ref)
        if msg.complete:
            reply = self.desk.handle(msg.sender, msg.text, pin=msg.pin, source=f"inbound:{msg.id}")
            if reply is not None:  # an officer's ACK, CLOSE or RELAY: duty, ahead of alerts
                if reply.limited and self.flooding(msg.sender):
                    log.warning("%s is flooding the gateway: no desk reply sent", mask(msg.sender))
                else:
                    self.outbox.enqueue(msg.sender, reply.text, "duty", key=reply_key(msg))
                return
        command = keywords.parse(msg.text) if msg.complete else None
        if command is not None and self.reads_like_a_report(command):
            command = None
        if command is None:
            for handler in self.on_report:
                handler(msg)
            return
        try:
            answer = self.obey(msg.sender, command, source=f"inbound:{msg.id}")
        except (SubscriberError, InvalidNumber) as exc:
            log.info("keyword %s from %s not done: %s", command.kind, mask(msg.sender), exc)
            return
        if self.flooding(msg.sender):
            log.warning(
                "%s is flooding the gateway: no reply to %s", mask(msg.sender), command.kind
            )
            return
        self.outbox.enqueue(msg.sender, answer, "normal", key=reply_key(msg))

    def flooding(self, sender: str) -> bool:
        flood = self.config.inbound
        return texts_in_window(self.engine, sender, flood.flood_window) > flood.flood_limit

    def reads_like_a_report(self, command: keywords.Command) -> bool:
        """A JOIN of no list we have, with more words after it and no keyword it could be
        a slip for: "Join us at the farm" is news for the desk, not a mistyped keyword."""
        if command.kind != "join" or not command.name:
            return False
        known = [x.keyword for x in self.subscribers.lists()]
        if command.list_keyword in known:
            return False
        import difflib  # only for a JOIN of an unknown list: not loaded at start

        return not difflib.get_close_matches(command.list_keyword, known, n=1, cutoff=0.75)

    def obey(self, sender: str, command: keywords.Command, source: str = "") -> str:
        """Carry out one keyword; returns the reply text. The consent it records names the
        text that asked (`source`), so a text routed twice records it once."""
        r, subs = self.replies, self.subscribers
        if command.kind == "join":
            found = subs.find_list(command.list_keyword)
            if found is None:
                return r.unknown_list.format(keyword=command.list_keyword)
            # The person asks for this list: a STOP of theirs is lifted for it (only).
            subs.join(
                sender, found.keyword, name=command.name, method="sms", by=source, lift_stop=True
            )
            return r.join.format(list=found.name, keyword=found.keyword)
        if command.kind == "stop" and command.list_keyword:
            found = subs.find_list(command.list_keyword)
            if found is None:
                return r.unknown_list.format(keyword=command.list_keyword)
            subs.leave(sender, found.keyword, method="sms", by=source)
            return r.stop_list.format(list=found.name, keyword=found.keyword)
        if command.kind in ("stop-email", "start-email"):
            stop = command.kind == "stop-email"
            subs.set_stopped(sender, stop, method="sms", by=source, email=True)
            return r.stop_email if stop else r.start_email
        if command.kind == "stop":
            subs.set_stopped(sender, True, method="sms", by=source)
            if subs.gets_email(sender):
                return f"{r.stop} {r.stop_emails_go_on}"
            return r.stop
        if command.kind == "start":
            subs.set_stopped(sender, False, method="sms", by=source)
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
