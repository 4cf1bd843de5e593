"""Who a broadcast reaches, by SMS and by email, and the last look before each message goes.

Each channel has its own opt-out: `stopped` is the SMS STOP, `email_stopped` the email
one (the leave link), so a STOP texted from a phone leaves a person's emails on, and the
other way round. A person's `channel` says which they chose: "sms", "email" or "both".
Both lists come in sending order (lists in the order given, key contacts first within each,
then by joining) with each number, or each address, once.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Row

from gateway.core.models import Membership, Subscriber
from gateway.subscribers.emails import BY_EMAIL, BY_SMS


@dataclass(frozen=True)
class Recipient:
    phone: str
    subscriber_id: int
    list_id: int
    key_contact: bool


@dataclass(frozen=True)
class EmailRecipient:
    email: str
    subscriber_id: int
    list_id: int
    key_contact: bool
    email_token: str  # for the leave link in the email (gateway.channels.mail.leave_url)


class Audience:
    """Mixed into `Subscribers` (gateway/subscribers/service.py)."""

    engine: Engine

    def recipients(
        self, list_ids: Sequence[int], *, only: Container[int] | None = None
    ) -> list[Recipient]:
        """Who a broadcast to these lists texts: each number once, the opted-out and
        those who chose email only left out; with `only`, just those subscriber ids
        (an alert near a place: gateway/subscribers/near.py)."""
        query = select(Subscriber.phone, Subscriber.id, *_membership()).where(
            Membership.list_id.in_(list_ids),
            Subscriber.stopped.is_(False),
            Subscriber.phone.is_not(None),
            Subscriber.channel.in_(BY_SMS),
        )
        seen: set[str] = set()
        chosen: list[Recipient] = []
        for r in self._ordered(query, list_ids):
            if only is not None and r.id not in only:
                continue
            if r.phone not in seen:
                seen.add(r.phone)
                chosen.append(Recipient(r.phone, r.id, r.list_id, r.key_contact))
        return chosen

    def email_recipients(
        self, list_ids: Sequence[int], *, only: Container[int] | None = None
    ) -> list[EmailRecipient]:
        """Who a broadcast to these lists emails: those who chose email or both, with an
        address and no email STOP, each address once (people may share one); with
        `only`, just those subscriber ids, chosen before an address counts as seen."""
        query = select(Subscriber.email, Subscriber.email_token, Subscriber.id, *_membership())
        query = query.where(
            Membership.list_id.in_(list_ids),
            Subscriber.email_stopped.is_(False),
            Subscriber.email.is_not(None),
            Subscriber.email_token.is_not(None),
            Subscriber.phone.is_not(None),
            Subscriber.channel.in_(BY_EMAIL),
        )
        seen: set[str] = set()
        chosen: list[EmailRecipient] = []
        for r in self._ordered(query, list_ids):
            if only is not None and r.id not in only:
                continue
            address = str(r.email).lower()
            if address not in seen:
                seen.add(address)
                chosen.append(
                    EmailRecipient(r.email, r.id, r.list_id, r.key_contact, r.email_token)
                )
        return chosen

    def _ordered(self, query: Any, list_ids: Sequence[int]) -> list[Row[Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                query.join(Membership, Membership.subscriber_id == Subscriber.id).where(
                    Membership.active
                )
            ).all()
        order = {list_id: n for n, list_id in enumerate(list_ids)}
        return sorted(rows, key=lambda r: (order[r.list_id], not r.key_contact, r.joined_at, r.id))

    def may_receive(self, phone: str, list_id: int | None) -> bool:
        """The check just before a text to a list goes: still subscribed, not stopped,
        and still wanting texts (not switched to email only)."""
        with self.engine.connect() as conn:
            q = (
                select(Subscriber.stopped, Subscriber.channel, Membership.active)
                .outerjoin(
                    Membership,
                    (Membership.subscriber_id == Subscriber.id) & (Membership.list_id == list_id),
                )
                .where(Subscriber.phone == phone)
            )
            row = conn.execute(q).first()
        return (
            row is not None
            and not row.stopped
            and row.channel in BY_SMS
            and (list_id is None or bool(row.active))
        )

    def may_receive_email(self, email: str, list_id: int | None) -> bool:
        """The check just before an email to a list goes: someone with this address still
        on the list, wanting email, and not stopped by the leave link."""
        query = (
            select(Subscriber.id)
            .where(
                Subscriber.email == email.strip().lower(),
                Subscriber.email_stopped.is_(False),
                Subscriber.phone.is_not(None),
                Subscriber.channel.in_(BY_EMAIL),
            )
            .limit(1)
        )
        if list_id is not None:
            query = query.join(Membership, Membership.subscriber_id == Subscriber.id).where(
                Membership.list_id == list_id, Membership.active
            )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def gets_email(self, phone: str) -> bool:
        """Whether alerts reach this number's owner by email too (what a texted STOP
        leaves on, and the reply says so)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(Subscriber.id).where(
                    Subscriber.phone == phone,
                    Subscriber.email.is_not(None),
                    Subscriber.email_stopped.is_(False),
                    Subscriber.channel.in_(BY_EMAIL),
                )
            ).first()
        return found is not None

    def email_of(self, token: str) -> str | None:
        """The address a leave link is for; None when no subscriber holds the token."""
        if not token:
            return None
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(Subscriber.email).where(
                    Subscriber.email_token == token, Subscriber.phone.is_not(None)
                )
            )
        return None if found is None else str(found)

    def quiet_hours(self, phone: str) -> tuple[int, int] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Subscriber.quiet_from, Subscriber.quiet_to).where(Subscriber.phone == phone)
            ).first()
        if row is None or row.quiet_from is None or row.quiet_to is None:
            return None
        return int(row.quiet_from), int(row.quiet_to)


def _membership() -> tuple[Any, ...]:
    return (Membership.list_id, Membership.key_contact, Membership.joined_at)
