"""Who of the lists' members are within a distance of a point: alerts to the farms near
a vehicle, not to the whole county (alert fatigue).

The distance is worked out here in Python, not in SQL: one indexed query fetches each
active member's position (a list is hundreds to a few thousand people; 10,000
haversines take milliseconds), it is the same on SQLite and PostgreSQL with no spatial
extension, and it must see every member anyway to count those with no location. A
bounding box in SQL would save little and still need the exact distance after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from gateway.core.geo import Point, distance_km
from gateway.core.models import Membership, Subscriber
from gateway.subscribers.audience import Audience, EmailRecipient, Recipient
from gateway.subscribers.emails import BY_EMAIL, BY_SMS


@dataclass(frozen=True)
class Member:
    subscriber_id: int
    position: Point | None  # None: no location on record
    reachable: bool  # by SMS or email, were place no matter (not opted out of both)


class NearAudience(Audience):
    """Mixed into `Subscribers` (gateway/subscribers/service.py)."""

    def members(self, list_ids: Sequence[int]) -> dict[int, Member]:
        """Each active member of the lists once, with their position."""
        query = (
            select(
                Subscriber.id,
                Subscriber.lat,
                Subscriber.lon,
                Subscriber.stopped,
                Subscriber.channel,
                Subscriber.email_stopped,
                Subscriber.email_token,
            )
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .where(
                Membership.list_id.in_(list_ids),
                Membership.active,
                Subscriber.phone.is_not(None),
            )
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found: dict[int, Member] = {}
        for r in rows:
            placed = r.lat is not None and r.lon is not None
            texted = not r.stopped and r.channel in BY_SMS
            emailed = not r.email_stopped and r.email_token is not None and r.channel in BY_EMAIL
            found[r.id] = Member(
                r.id, Point(r.lat, r.lon) if placed else None, bool(texted or emailed)
            )
        return found

    def near(
        self, list_ids: Sequence[int], centre: Point, radius_km: float, include_unplaced: bool
    ) -> tuple[set[int], int]:
        """The subscriber ids an alert near `centre` may reach (within the radius, and the
        unplaced when included), and how many of the lists' members it could reach were
        place no matter have no location."""
        chosen: set[int] = set()
        unplaced = 0
        for m in self.members(list_ids).values():
            if m.position is None:
                unplaced += 1 if m.reachable else 0
                if include_unplaced:
                    chosen.add(m.subscriber_id)
            elif distance_km(centre, m.position) <= radius_km:
                chosen.add(m.subscriber_id)
        return chosen, unplaced

    def recipients_near(
        self, list_ids: Sequence[int], centre: Point, radius_km: float, include_unplaced: bool
    ) -> tuple[list[Recipient], int]:
        """`recipients` (same order, each number once) narrowed to those within
        `radius_km` of `centre`, and how many of the lists' members have no location."""
        chosen, unplaced = self.near(list_ids, centre, radius_km, include_unplaced)
        return self.recipients(list_ids, only=chosen), unplaced

    def email_recipients_near(
        self, list_ids: Sequence[int], centre: Point, radius_km: float, include_unplaced: bool
    ) -> tuple[list[EmailRecipient], int]:
        """`email_recipients` narrowed the same way: an address two people share goes to
        the one within the radius even when the other comes first."""
        chosen, unplaced = self.near(list_ids, centre, radius_km, include_unplaced)
        return self.email_recipients(list_ids, only=chosen), unplaced
