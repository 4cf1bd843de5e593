"""Subscribers, their lists and their consent.

Every join and leave writes a consent record saying how (SMS keyword, QR, officer,
import), when, and which officer. A global STOP outranks every list; START undoes it,
and a JOIN texted by the person lifts it for the list joined (their other lists stay left).
A list's keyword is never a word the gateway obeys by SMS (gateway.inbox.keywords.RESERVED).
Email is a second channel a person may choose (gateway/subscribers/emails.py), with its own
STOP: the leave link in every email (`stop_email`); who gets what is audience.py.
"""

from __future__ import annotations

import logging
import secrets
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
from gateway.subscribers.audience import EmailRecipient as EmailRecipient
from gateway.subscribers.audience import Recipient as Recipient
from gateway.subscribers.emails import BY_EMAIL, InvalidChannel, clean_channel, clean_email
from gateway.subscribers.near import NearAudience
from gateway.subscribers.whereabouts import Whereabouts

log = logging.getLogger(__name__)

METHODS = ("sms", "qr", "officer", "import", "console", "email")  # console: by=username;
# email: the leave link in an email, by="link" or "one-click"


class SubscriberError(GatewayError, ValueError):
    """A request about subscribers or lists that cannot be met; the text says why."""


@dataclass(frozen=True)
class ListInfo:
    id: int
    name: str
    keyword: str
    description: str
    members: int


def clean_keyword(keyword: str) -> str:
    word = keyword.strip().upper()
    if not (2 <= len(word) <= 20) or not all(c.isalnum() or c in "-_" for c in word):
        raise SubscriberError(f"a keyword is 2-20 letters, digits, '-' or '_', not {keyword!r}")
    return word


class Subscribers(NearAudience, Whereabouts):
    def __init__(
        self, engine: Engine, country: str = "GB", gazetteer: tuple[str, ...] = ()
    ) -> None:
        self.engine = engine
        self.country = country
        self.gazetteer = gazetteer  # config rota.gazetteer: places for `set_location`

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

    def set_stopped(
        self, phone: str, stopped: bool, *, method: str = "sms", by: str = "", email: bool = False
    ) -> None:
        """A global STOP (or START) of one channel: no broadcast text of any list while
        stopped; with `email`, no alert email (STOP EMAIL: the texts go on)."""
        number = normalise(phone, self.country)
        column, action = ("email_stopped", "-email") if email else ("stopped", "")
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number)
            conn.execute(update(Subscriber).where(Subscriber.id == sub).values({column: stopped}))
            self._consent(conn, sub, None, ("stop" if stopped else "start") + action, method, by)

    def set_quiet(self, phone: str, start: int | None, end: int | None) -> None:
        number = normalise(phone, self.country)
        with self.engine.begin() as conn:
            sub = self._subscriber(conn, number)
            conn.execute(
                update(Subscriber)
                .where(Subscriber.id == sub)
                .values(quiet_from=start, quiet_to=end)
            )

    def set_email(self, phone: str, email: str | None, *, channel: str | None = None) -> list[str]:
        """A person's address ("" removes it) and channel; None keeps either as it is.
        Returns what changed, for the audit log (never the address: no erase reaches
        there). A new address gets a new leave token; an email STOP stays in force."""
        number = normalise(phone, self.country)
        address = None if email is None else clean_email(email) if email.strip() else ""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(Subscriber.id, Subscriber.email, Subscriber.channel).where(
                    Subscriber.phone == number
                )
            ).first()
            if row is None:
                raise SubscriberError(f"{number} is not a subscriber")
            new_email = row.email if address is None else (address or None)
            if channel is None and row.channel in BY_EMAIL and not new_email:
                raise InvalidChannel(f"they get alerts by {row.channel}: choose sms first")
            new_channel = clean_channel(channel or row.channel, new_email)
            values: dict[str, object] = {}
            if new_email != row.email:
                token = secrets.token_urlsafe(16) if new_email else None
                values.update(email=new_email, email_token=token)
            if new_channel != row.channel:
                values["channel"] = new_channel
            if values:
                conn.execute(update(Subscriber).where(Subscriber.id == row.id).values(values))
        changes = [f"channel {new_channel}"] if "channel" in values else []
        if "email" in values:
            done = "changed" if new_email and row.email else "set" if new_email else "removed"
            changes.insert(0, f"email {done}")
        return changes

    def stop_email(self, token: str, by: str) -> bool:
        """The email channel's STOP, from the leave link: everyone with the link's address
        stops getting emails (the page asks about the address); their texts go on.
        False for a token nobody holds."""
        address = self.email_of(token)
        if address is None:
            return False
        with self.engine.begin() as conn:
            ids = conn.scalars(
                select(Subscriber.id).where(
                    Subscriber.email == address, Subscriber.email_stopped.is_(False)
                )
            ).all()
            conn.execute(
                update(Subscriber).where(Subscriber.id.in_(ids)).values(email_stopped=True)
            )
            for sub in ids:
                self._consent(conn, sub, None, "stop-email", "email", by)
        for sub in ids:
            audit.record(self.engine, by, "email-stopped", f"subscriber {sub}")
        log.info("emails stopped by %s for subscribers %s", by, list(ids))
        return True

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
                    email=None,
                    email_token=None,
                    channel="sms",
                    location=None,
                    lat=None,
                    lon=None,
                    erased_at=utcnow(),
                )
            )
            self._consent(conn, sub, None, "erase", "officer", by)
        audit.record(self.engine, by, "subscriber-erased", f"subscriber {sub}")
        log.info("subscriber %d erased by %s", sub, by)
        return True

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
