"""Subscribers, their lists and their consent.

Every join and leave writes a consent record saying how (SMS keyword, QR, officer,
import), when, and which officer. A global STOP outranks every list; START undoes it,
and a JOIN texted by the person lifts it for the list joined (their other lists stay left).
A list's keyword is never a word the gateway obeys by SMS (gateway.inbox.keywords.RESERVED).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import Consent, Membership, Subscriber, SubscriberList
from gateway.core.phone import normalise
from gateway.inbox import keywords

log = logging.getLogger(__name__)

METHODS = ("sms", "qr", "officer", "import", "console")  # console: an operator, by=username


class SubscriberError(GatewayError, ValueError):
    """A request about subscribers or lists that cannot be met; the text says why."""


@dataclass(frozen=True)
class ListInfo:
    id: int
    name: str
    keyword: str
    description: str
    members: int


@dataclass(frozen=True)
class Recipient:
    phone: str
    subscriber_id: int
    list_id: int
    key_contact: bool


def clean_keyword(keyword: str) -> str:
    word = keyword.strip().upper()
    if not (2 <= len(word) <= 20) or not all(c.isalnum() or c in "-_" for c in word):
        raise SubscriberError(f"a keyword is 2-20 letters, digits, '-' or '_', not {keyword!r}")
    return word


class Subscribers:
    def __init__(self, engine: Engine, country: str = "GB") -> None:
        self.engine = engine
        self.country = country

    # -- lists -----------------------------------------------------------------------
    def add_list(self, name: str, keyword: str, description: str = "") -> ListInfo:
        name = name.strip()
        if not name or len(name) > 100:
            raise SubscriberError("a list needs a name of 1-100 characters")
        word = clean_keyword(keyword)
        if keywords.reserved(word):
            raise SubscriberError(
                f"{word} is a word the gateway obeys by SMS (STOP, JOIN, HELP, ACK...), so "
                "it cannot be a list's keyword: choose another"
            )
        try:
            with self.engine.begin() as conn:
                list_id = conn.execute(
                    insert(SubscriberList).returning(SubscriberList.id),
                    {
                        "name": name,
                        "keyword": word,
                        "description": description,
                        "created_at": utcnow(),
                    },
                ).scalar_one()
        except IntegrityError:
            raise SubscriberError(
                f"a list named {name!r} or keyword {word} exists already"
            ) from None
        return ListInfo(list_id, name, word, description, 0)

    def lists(self) -> list[ListInfo]:
        members = (
            select(func.count())
            .select_from(Membership)
            .join(Subscriber, Subscriber.id == Membership.subscriber_id)
            .where(
                Membership.list_id == SubscriberList.id,
                Membership.active,
                Subscriber.stopped.is_(False),
                Subscriber.phone.is_not(None),
            )
            .scalar_subquery()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(SubscriberList, members.label("members")).order_by(SubscriberList.name)
            ).all()
        return [ListInfo(r.id, r.name, r.keyword, r.description, r.members) for r in rows]

    def find_list(self, name_or_keyword: str) -> ListInfo | None:
        wanted = name_or_keyword.strip()
        for info in self.lists():
            if wanted.upper() == info.keyword or wanted.casefold() == info.name.casefold():
                return info
        return None

    def require_list(self, name_or_keyword: str) -> ListInfo:
        found = self.find_list(name_or_keyword)
        if found is None:
            raise SubscriberError(f"no list called {name_or_keyword!r}")
        return found

    # -- people ----------------------------------------------------------------------
    def _subscriber(self, conn: Connection, phone: str, name: str = "") -> int:
        row = conn.execute(select(Subscriber.id, Subscriber.name).where(Subscriber.phone == phone))
        found = row.first()
        if found is not None:
            if name and not found.name:
                conn.execute(update(Subscriber).where(Subscriber.id == found.id).values(name=name))
            return int(found.id)
        return int(
            conn.execute(
                insert(Subscriber).returning(Subscriber.id),
                {"phone": phone, "name": name, "stopped": False, "created_at": utcnow()},
            ).scalar_one()
        )

    @staticmethod
    def _consent(
        conn: Connection, subscriber_id: int, list_id: int | None, action: str, method: str, by: str
    ) -> None:
        if method not in METHODS:
            raise SubscriberError(f"consent method must be one of {', '.join(METHODS)}")
        row = {
            Consent.subscriber_id: subscriber_id,
            Consent.list_id: list_id,
            Consent.action: action,
            Consent.method: method,
            Consent.by: by,
        }
        if (
            method == "sms"
            and by
            and conn.scalar(  # by: the text that asked, routed again
                select(Consent.id).where(*(column == value for column, value in row.items()))
            )
        ):
            return
        conn.execute(
            insert(Consent),
            {
                "subscriber_id": subscriber_id,
                "list_id": list_id,
                "action": action,
                "method": method,
                "by": by,
                "at": utcnow(),
            },
        )

    def join(
        self,
        phone: str,
        list_name: str,
        *,
        name: str = "",
        method: str = "sms",
        by: str = "",
        key_contact: bool | None = None,
        lift_stop: bool = False,
    ) -> ListInfo:
        """`lift_stop` only when the person asked (their own JOIN): an officer or an
        import never undoes an opt-out."""
        number = normalise(phone, self.country)
        target = self.require_list(list_name)
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number, name.strip()[:100])
            if lift_stop:
                self._lift_stop(conn, sub, target.id, method, by)
            values: dict[str, object] = {"active": True}
            if key_contact is not None:
                values["key_contact"] = key_contact
            changed = conn.execute(
                update(Membership)
                .where(Membership.subscriber_id == sub, Membership.list_id == target.id)
                .values(values)
            ).rowcount
            if not changed:
                conn.execute(
                    insert(Membership),
                    {
                        "subscriber_id": sub,
                        "list_id": target.id,
                        "active": True,
                        "joined_at": utcnow(),
                        "key_contact": bool(key_contact),
                    },
                )
            self._consent(conn, sub, target.id, "join", method, by)
        return target

    def _lift_stop(self, conn: Connection, sub: int, list_id: int, method: str, by: str) -> None:
        """Lift a global STOP for one list: the person's other lists, which the STOP
        refused, are left (each recorded), so only the list they asked for resumes."""
        if not conn.scalar(select(Subscriber.stopped).where(Subscriber.id == sub)):
            return
        others = conn.scalars(
            select(Membership.list_id).where(
                Membership.subscriber_id == sub, Membership.active, Membership.list_id != list_id
            )
        ).all()
        conn.execute(
            update(Membership)
            .where(Membership.subscriber_id == sub, Membership.list_id.in_(others))
            .values(active=False)
        )
        for other in others:
            self._consent(conn, sub, other, "leave", method, by)
        conn.execute(update(Subscriber).where(Subscriber.id == sub).values(stopped=False))
        self._consent(conn, sub, None, "start", method, by)

    def leave(self, phone: str, list_name: str, *, method: str = "sms", by: str = "") -> ListInfo:
        number = normalise(phone, self.country)
        target = self.require_list(list_name)
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number)
            conn.execute(
                update(Membership)
                .where(Membership.subscriber_id == sub, Membership.list_id == target.id)
                .values(active=False)
            )
            self._consent(conn, sub, target.id, "leave", method, by)
        return target

    def set_key_contact(self, phone: str, list_name: str, key: bool, *, by: str) -> None:
        """A keyholder or head keeper: alerts to this list reach them first."""
        number = normalise(phone, self.country)
        target = self.require_list(list_name)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(Membership)
                .where(
                    Membership.list_id == target.id,
                    Membership.subscriber_id
                    == select(Subscriber.id).where(Subscriber.phone == number).scalar_subquery(),
                )
                .values(key_contact=key)
            ).rowcount
        if not changed:
            raise SubscriberError(f"{number} is not on {target.name}")
        log.info("key contact of %s set to %s by %s", target.name, key, by)

    def rename(self, phone: str, name: str) -> bool:
        """Correct a person's name; `join` only fills an empty one, so a typo needs this."""
        number = normalise(phone, self.country)
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(Subscriber).where(Subscriber.phone == number).values(name=name.strip()[:100])
            ).rowcount
        return bool(changed)

    def set_stopped(self, phone: str, stopped: bool, *, method: str = "sms", by: str = "") -> None:
        """A global STOP (or START): no broadcast of any list while stopped."""
        number = normalise(phone, self.country)
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number)
            conn.execute(update(Subscriber).where(Subscriber.id == sub).values(stopped=stopped))
            self._consent(conn, sub, None, "stop" if stopped else "start", method, by)

    def set_quiet(self, phone: str, start: int | None, end: int | None) -> None:
        number = normalise(phone, self.country)
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number)
            conn.execute(
                update(Subscriber)
                .where(Subscriber.id == sub)
                .values(quiet_from=start, quiet_to=end)
            )

    def erase(self, phone: str, *, by: str) -> bool:
        """Remove a person's data on request; the consent trail keeps only dates and ids."""
        number = normalise(phone, self.country)
        with self.engine.begin() as conn:
            sub = conn.execute(select(Subscriber.id).where(Subscriber.phone == number)).scalar()
            if sub is None:
                return False
            conn.execute(delete(Membership).where(Membership.subscriber_id == sub))
            conn.execute(
                update(Subscriber)
                .where(Subscriber.id == sub)
                .values(
                    phone=None,
                    name="",
                    stopped=True,
                    quiet_from=None,
                    quiet_to=None,
                    erased_at=utcnow(),
                )
            )
            self._consent(conn, sub, None, "erase", "officer", by)
        audit.record(self.engine, by, "subscriber-erased", f"subscriber {sub}")
        log.info("subscriber %d erased by %s", sub, by)
        return True

    def recipients(self, list_ids: Sequence[int]) -> list[Recipient]:
        """Who a broadcast to these lists reaches, in sending order: lists in the order
        given, key contacts first within each, each number once, opted-out left out."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    Subscriber.phone,
                    Subscriber.id,
                    Membership.list_id,
                    Membership.key_contact,
                    Membership.joined_at,
                )
                .join(Membership, Membership.subscriber_id == Subscriber.id)
                .where(
                    Membership.list_id.in_(list_ids),
                    Membership.active,
                    Subscriber.stopped.is_(False),
                    Subscriber.phone.is_not(None),
                )
            ).all()
        order = {list_id: n for n, list_id in enumerate(list_ids)}
        rows = sorted(rows, key=lambda r: (order[r.list_id], not r.key_contact, r.joined_at, r.id))
        seen: set[str] = set()
        chosen: list[Recipient] = []
        for r in rows:
            if r.phone not in seen:
                seen.add(r.phone)
                chosen.append(Recipient(r.phone, r.id, r.list_id, r.key_contact))
        return chosen

    def may_receive(self, phone: str, list_id: int | None) -> bool:
        """The check just before a broadcast goes: still subscribed, not stopped."""
        with self.engine.connect() as conn:
            q = (
                select(Subscriber.stopped, Membership.active)
                .outerjoin(
                    Membership,
                    (Membership.subscriber_id == Subscriber.id) & (Membership.list_id == list_id),
                )
                .where(Subscriber.phone == phone)
            )
            row = conn.execute(q).first()
        return row is not None and not row.stopped and (list_id is None or bool(row.active))

    def quiet_hours(self, phone: str) -> tuple[int, int] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Subscriber.quiet_from, Subscriber.quiet_to).where(Subscriber.phone == phone)
            ).first()
        if row is None or row.quiet_from is None or row.quiet_to is None:
            return None
        return int(row.quiet_from), int(row.quiet_to)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(Subscriber)
                    .where(Subscriber.phone.is_not(None))
                )
                or 0
            )
