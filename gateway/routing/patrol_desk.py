"""Check-ins by SMS: `PATROL <CODE> <notes>` from an operator's number is a visit.

What a stranger's PATROL text gets is a refusal, and what an unknown code gets names
nothing: neither lists the points, as a spoofed or guessing sender must learn nothing
about where officers go. Both obey the flood limit; a visit is always confirmed. A text
routed twice makes one visit (its inbound id is unique) and is answered under one key.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from gateway.core import clock
from gateway.inbox.officer_words import parse_patrol
from gateway.rota.patrol_visits import UnknownPoint, VisitInfo
from gateway.rota.patrols import Patrols
from gateway.rota.service import Rota
from gateway.sightings.parser import parse

NOT_AN_OFFICER = "Patrol check-ins are for officers."
USAGE = "Text PATROL and a point's code."


def confirmation(visit: VisitInfo, zone: ZoneInfo) -> str:
    """ "Patrol GATE7 logged 02:14. 1 plate: KX19 ABC (seen in S1042)." """
    when = clock.to_local(visit.at, zone).strftime("%H:%M")
    text = f"Patrol {visit.code} logged {when}."
    if visit.registrations:
        n = len(visit.registrations)
        text += f" {n} plate{'s' if n > 1 else ''}: {', '.join(visit.registrations)}"
        if visit.sightings:
            text += f" (seen in {', '.join(visit.sightings[-3:])})"
        text += "."
    return text


class PatrolDesk:
    def __init__(self, rota: Rota, patrols: Patrols, zone: ZoneInfo) -> None:
        self.rota = rota
        self.patrols = patrols
        self.zone = zone

    def handle(self, sender: str, text: str, inbound_id: int | None) -> tuple[str, bool] | None:
        """(reply, limited), or None when the text is no PATROL check-in."""
        check_in = parse_patrol(text)
        if check_in is None:
            return None
        operator = self.rota.operator_by_phone(sender)
        if operator is None:
            return NOT_AN_OFFICER, True
        if not check_in.code:
            return USAGE, True
        try:
            visit = self.patrols.record_visit(
                check_in.code,
                officer=operator.name,
                phone=operator.phone,
                notes=check_in.notes,
                registrations=parse(check_in.notes).registrations,
                operator_id=operator.id,
                inbound_id=inbound_id,
            )
        except UnknownPoint:
            return f"No patrol point {check_in.code[:20]}. {USAGE}", True
        return confirmation(visit, self.zone), False
