"""Commands officers text the gateway: ACK, CLOSE and RELAY, only from operators' numbers.

RELAY turns a sighting into an alert and needs the operator's PIN in the text, because
caller ID can be spoofed; a wrong PIN is refused and audited. The relayed text is built
from what was parsed, never from who reported it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from gateway import audit
from gateway.alerts import AlertError, Alerts
from gateway.privacy import mask
from gateway.rota import OperatorInfo, Rota
from gateway.sightings import SightingInfo, Sightings
from gateway.subscribers import SubscriberError

log = logging.getLogger(__name__)

_COMMAND = re.compile(
    r"^\s*(?P<verb>ACK|CLOSE|RELAY)\b\s*(?P<ref>S\d+)?\s*(?P<list>[A-Z0-9_-]{2,20})?"
    r"\s*(?P<pin>\d{4,8})?\s*[.!]*\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OperatorCommand:
    verb: str
    ref: str = ""
    list_keyword: str = ""
    pin: str = ""


def parse(text: str) -> OperatorCommand | None:
    found = _COMMAND.match(text)
    if found is None:
        return None
    return OperatorCommand(
        found["verb"].upper(),
        (found["ref"] or "").upper(),
        (found["list"] or "").upper(),
        found["pin"] or "",
    )


def relay_text(info: SightingInfo) -> str:
    """What the farms get: the vehicle and the place, never the reporter."""
    p = info.parsed
    vehicle = " ".join(
        str(x)
        for x in (
            *p.get("colours", []),
            *p.get("makes", []),  # type: ignore[misc]
            *info.registrations,
        )
        if x
    )
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

    def handle(self, sender: str, text: str, *, source: str | None = None) -> str | None:
        """The reply, or None when the text is not an operator's command from an operator.

        `source` names the text, so a RELAY handled twice makes one alert."""
        command = parse(text)
        operator = self.rota.operator_by_phone(sender) if command else None
        if command is None or operator is None:
            return None
        ref = command.ref
        if not ref and command.verb == "ACK":
            latest = self.sightings.latest_open()
            ref = latest.ref if latest else ""
        if not ref or self.sightings.get(ref) is None:
            return f"No sighting {ref or 'open'} to {command.verb.lower()}."
        if command.verb == "ACK":
            taken = self.sightings.acknowledge(ref, operator)
            return f"{ref} is yours." if taken else f"{ref} was already taken."
        if command.verb == "CLOSE":
            self.sightings.close(ref, operator.name)
            return f"{ref} closed."
        return self._relay(operator, ref, command, source)

    def _relay(
        self, operator: OperatorInfo, ref: str, command: OperatorCommand, source: str | None
    ) -> str:
        if not command.list_keyword or not command.pin:
            return "To relay: RELAY <ref> <list> <your PIN>."
        if not self.rota.pin_ok(operator.id, command.pin):
            audit.record(
                self.alerts.engine,
                operator.name,
                "relay-refused",
                f"{ref}: wrong PIN from {mask(operator.phone)}",
            )
            return "PIN refused."
        info = self.sightings.get(ref)
        assert info is not None
        try:
            made = self.alerts.create(
                relay_text(info), [command.list_keyword], by=operator.name, source=source
            )
        except (AlertError, SubscriberError) as exc:
            return f"Not relayed: {exc}"
        return f"{ref} relayed as {made.ref} to {made.recipients} people."
