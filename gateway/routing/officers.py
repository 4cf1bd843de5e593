"""Commands officers text the gateway: ACK, CLOSE and RELAY, only from operators' numbers;
PATROL check-ins go to gateway.routing.patrol_desk.

Caller ID can be spoofed (docs/security.md), so what hides a report or reaches every farm
needs the operator's PIN in the text: RELAY turns a sighting into an alert and CLOSE takes
it off the open list. ACK needs none: it only says "mine", the officer already has the
forward, and its answer goes to the real phone. Three wrong PINs in an hour lock RELAY and
CLOSE for that number (gateway.routing.pin_lock) and text the rota admin. A refusal, and a
repeat of what is already done (an ACK of a report already taken, a CLOSE of one closed),
obey the flood limit (the router checks `limited`): only a command that changed something
is always answered, so a spoofer cannot make the gateway text an officer without end.
The relayed text is built from what was parsed, never from who reported it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.alerts.service import AlertError, AlertInfo, Alerts
from gateway.core import clock
from gateway.core.privacy import mask
from gateway.inbox.officer_words import PIN_MASK, OperatorCommand, parse
from gateway.rota.patrols import Patrols
from gateway.rota.service import OperatorInfo, Rota
from gateway.routing import pin_lock
from gateway.routing.patrol_desk import PatrolDesk
from gateway.routing.relay import relay, relayed_from
from gateway.sightings.desk import Sightings
from gateway.sightings.info import SightingInfo, found
from gateway.subscribers.service import SubscriberError

__all__ = ["DeskReply", "OperatorCommand", "OperatorDesk", "describe", "parse", "relay_text"]

log = logging.getLogger(__name__)

USAGE = {
    "CLOSE": "To close: CLOSE <ref> <your PIN>.",
    "RELAY": "To relay: RELAY <ref> <list> <your PIN>.",
}


@dataclass(frozen=True)
class DeskReply:
    text: str
    # A refusal or a repeat obeys the flood limit: a guesser must not drain the SIM.
    limited: bool = False


def _vehicle(info: SightingInfo) -> str:
    return " ".join((*found(info, "colours"), *found(info, "makes"), *info.registrations))


def describe(info: SightingInfo) -> str:
    """A few words an officer recognises a report by: "grey Mitsubishi at Stanhoe"."""
    what = _vehicle(info) or " ".join(info.text.split()[:5])[:40]
    return f"{what} at {info.place}" if info.place else what


def relay_text(info: SightingInfo) -> str:
    """What the farms get: the vehicle and the place, never the reporter."""
    p = info.parsed
    vehicle = _vehicle(info)
    where = f" near {info.place}" if info.place else ""
    heading = f", {p['direction']}" if p.get("direction") else ""
    return (
        f"POLICE ALERT {info.ref}: {vehicle or 'suspicious activity'} reported{where}"
        f"{heading}. Do not approach. Call 999 if in danger."
    )


class OperatorDesk:
    def __init__(self, rota: Rota, sightings: Sightings, alerts: Alerts) -> None:
        self.rota = rota
        self.sightings = sightings
        self.alerts = alerts
        self.engine = alerts.engine
        self.config = sightings.config
        self.zone = ZoneInfo(self.config.gateway.timezone)
        self.patrols = PatrolDesk(rota, Patrols(self.engine, self.config), self.zone)

    def handle(
        self, sender: str, text: str, *, pin: str = "", source: str | None = None
    ) -> DeskReply | None:
        """The reply, or None when the text is not an operator's command from an operator.

        `pin` is the PIN the inbox took out of the stored text (which then shows
        PIN_MASK); `source` names the text, so a RELAY handled twice makes one alert."""
        patrol = self.patrols.handle(sender, text, _inbound_id(source))
        if patrol is not None:  # PATROL <CODE>: a visit, or a refusal from a stranger
            return DeskReply(*patrol)
        command = parse(text)
        operator = self.rota.operator_by_phone(sender) if command else None
        if command is None or operator is None:
            return None
        if command.verb == "ACK":
            return self._ack(operator, command.ref)
        info = self.sightings.get(command.ref) if command.ref else None
        if info is None:
            missing = f"No sighting {command.ref}." if command.ref else USAGE[command.verb]
            return DeskReply(missing, limited=True)
        if command.verb == "RELAY" and source is not None:  # routed again: no PIN to check
            made = relayed_from(
                self.alerts,
                self.sightings,
                info,
                source,
                [command.list_keyword],
                by=operator.name,
                operator=operator,
            )
            if made is not None:
                return _relayed(info, made)
        refusal = self._pin_refusal(operator, command, pin, source)
        if refusal is not None:
            return refusal
        if command.verb == "CLOSE":
            closed = self.sightings.close(info.ref, operator.name)
            return DeskReply(f"{info.ref} closed.", limited=not closed)
        return self._relay(operator, info, command, source)

    def _ack(self, operator: OperatorInfo, ref: str) -> DeskReply:
        """A bare ACK takes the latest open report forwarded to this officer, else the
        latest open one; the answer names it, so a wrong guess is seen at once."""
        if ref:
            info = self.sightings.get(ref)
        else:
            info = self.sightings.latest_forwarded_to(operator.phone)
            info = info or self.sightings.latest_open()
        if info is None:
            return DeskReply(f"No sighting {ref or 'open'} to ack.", limited=True)
        taken = self.sightings.acknowledge(info.ref, operator)
        if taken:  # a repeat ("theirs" already) is answered within the flood limit only
            yours = f"ACK: {info.ref}, {describe(info)}, is yours."
            return DeskReply(yours, limited=taken != "taken")
        return DeskReply(f"{info.ref}, {describe(info)}, was already taken.", limited=True)

    def _pin_refusal(
        self, operator: OperatorInfo, command: OperatorCommand, pin: str, source: str | None
    ) -> DeskReply | None:
        """None when the command may go ahead; else the refusal, audited."""
        verb = command.verb
        if (verb == "RELAY" and not command.list_keyword) or not (command.pin or pin):
            return DeskReply(USAGE[verb], limited=True)
        until = pin_lock.locked_until(self.engine, operator)
        if until is not None:
            pin_lock.refuse_locked(self.engine, operator, verb, command.ref)
            return DeskReply(
                f"{verb} refused: after {pin_lock.LOCK_AFTER} wrong PINs, RELAY and CLOSE from "
                f"this phone are locked until {self._clock(until)}.",
                limited=True,
            )
        typed = pin or (command.pin if command.pin != PIN_MASK else "")
        if not typed:  # routed again from the database, which never holds the PIN
            return DeskReply(f"Your PIN is not kept: please send the {verb} again.", limited=True)
        if self.rota.pin_ok(operator.id, typed):
            return None
        until = pin_lock.wrong_pin(self.engine, operator, verb, command.ref)
        if until is None:
            return DeskReply("PIN refused.", limited=True)
        self._tell_admin(operator, until, source)
        return DeskReply(
            f"PIN refused. {pin_lock.LOCK_AFTER} wrong PINs: RELAY and CLOSE from this phone "
            f"are locked until {self._clock(until)}.",
            limited=True,
        )

    def _tell_admin(self, operator: OperatorInfo, until: datetime, source: str | None) -> None:
        number = self.config.rota.admin_number or self.config.gateway.admin_number
        if not number:
            log.warning("PIN lock of %s: no rota.admin_number to tell", mask(operator.phone))
            return
        text = (
            f"PIN lock: {pin_lock.LOCK_AFTER} wrong PINs by SMS from {operator.name}'s phone "
            f"({mask(operator.phone)}). RELAY and CLOSE locked until {self._clock(until)}. "
            "If it was not them, their number may be spoofed."
        )
        key = f"pin-lock:{source}" if source else None  # once, however often it is routed
        self.sightings.outbox.enqueue(number, text, "duty", key=key)

    def _clock(self, moment: datetime) -> str:
        return clock.to_local(moment, self.zone).strftime("%H:%M")

    def _relay(
        self,
        operator: OperatorInfo,
        info: SightingInfo,
        command: OperatorCommand,
        source: str | None,
    ) -> DeskReply:
        try:
            made = relay(
                self.alerts,
                self.sightings,
                info,
                relay_text(info),
                [command.list_keyword],
                by=operator.name,
                operator=operator,
                source=source,
            )
        except (AlertError, SubscriberError) as exc:
            return DeskReply(f"Not relayed: {exc}", limited=True)
        return _relayed(info, made)


def _inbound_id(source: str | None) -> int | None:
    """The text's id in "inbound:<id>", which makes a check-in once per text."""
    kind, _, number = (source or "").partition(":")
    return int(number) if kind == "inbound" and number.isdigit() else None


def _relayed(info: SightingInfo, made: AlertInfo) -> DeskReply:
    return DeskReply(f"{info.ref} relayed as {made.ref} to {made.recipients} people.")
