"""Finding subscribers for the console, one page at a time, by number or by name.

An operator searches 26,500 people while a caller waits on the phone, so every query is
bounded: a whole number is an equality on the unique phone index, a page is LIMIT/OFFSET
over the primary key (newest first), and lists are read only for the page's people.
Erased people (no number left) are never found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, false, func, select
from sqlalchemy.engine import Connection, Row

from gateway.core.models import Consent, Membership, Subscriber, SubscriberList
from gateway.core.phone import InvalidNumber, normalise

PAGE = 50
MIN_DIGITS = 3  # fewer digits than this match too many numbers to be a search
NUMBERISH = re.compile(r"[+\d\s().-]*\d[+\d\s().-]*")


@dataclass(frozen=True)
class ListMembership:
    list_id: int
    name: str
    keyword: str
    active: bool  # false once the person left this list (STOP <keyword>, or an officer)
    key_contact: bool


@dataclass(frozen=True)
class Person:
    id: int
    phone: str
    name: str
    stopped: bool
    quiet: tuple[int, int] | None  # local hours (from, to) with no broadcasts
    created_at: datetime
    lists: tuple[ListMembership, ...]
    email: str | None = None
    channel: str = "sms"  # "sms", "email" or "both"
    email_stopped: bool = False  # left the emails by the link in one (texts unaffected)
    location: str | None = None  # as typed (gateway/subscribers/whereabouts.py); None: none

    @property
    def joined(self) -> tuple[ListMembership, ...]:
        """The lists that still reach this person."""
        return tuple(m for m in self.lists if m.active)


@dataclass(frozen=True)
class Found:
    people: list[Person]
    total: int
    by: str  # "number", "digits", "email", "name", or "" when nothing was asked


@dataclass(frozen=True)
class ConsentEntry:
    at: datetime
    action: str
    method: str
    by: str
    list_name: str  # "" for a global STOP, START or erase


def search(
    engine: Engine,
    query: str,
    *,
    country: str = "GB",
    partial_numbers: bool = True,
    numbers: bool = True,
    limit: int = PAGE,
    offset: int = 0,
) -> Found:
    """People matching `query`: a number in any format (when `numbers`), some of its
    digits (when `partial_numbers`), part of an email address with its @ (when
    `numbers`), or part of a name. The console refuses numbers and addresses to viewers,
    who see them masked: a search by number tells whether that number subscribes, so
    trying numbers ending in a mask's digits would rebuild it."""
    by, where = _condition(query, country, partial_numbers and numbers, numbers)
    page = (
        select(Subscriber)
        .where(where)
        .order_by(Subscriber.id.desc())
        .limit(max(1, limit))
        .offset(max(0, offset))
    )
    with engine.connect() as conn:
        total = int(conn.scalar(select(func.count()).select_from(Subscriber).where(where)) or 0)
        rows = conn.execute(page).all()
        lists = _memberships(conn, [r.id for r in rows])
    people = [_person(r, lists.get(r.id, ())) for r in rows]
    return Found(people, total, by)


def get(engine: Engine, subscriber_id: int) -> Person | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.phone.is_not(None))
        ).first()
        if row is None:
            return None
        return _person(row, _memberships(conn, [row.id]).get(row.id, ()))


def consents(engine: Engine, subscriber_id: int, limit: int = 100) -> list[ConsentEntry]:
    """The consent trail, newest first: the proof of how and when a person agreed."""
    query = (
        select(Consent.at, Consent.action, Consent.method, Consent.by, SubscriberList.name)
        .outerjoin(SubscriberList, SubscriberList.id == Consent.list_id)
        .where(Consent.subscriber_id == subscriber_id)
        .order_by(Consent.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [
            ConsentEntry(r.at, r.action, r.method, r.by, r.name or "") for r in conn.execute(query)
        ]


def _condition(
    query: str, country: str, partial: bool, whole: bool
) -> tuple[str, ColumnElement[bool]]:
    text = query.strip()
    known = Subscriber.phone.is_not(None)
    if not text:
        return "", known
    if "@" in text:  # an address tells whether someone subscribes, as a number does
        if not whole:
            return "email", false()
        return "email", known & Subscriber.email.contains(text.lower(), autoescape=True)
    if not NUMBERISH.fullmatch(text):
        return "name", known & Subscriber.name.icontains(text, autoescape=True)
    if not whole:
        return "number", false()
    try:
        return "number", Subscriber.phone == normalise(text, country)
    except InvalidNumber:
        pass
    # A trunk 0 is not in the stored E.164 form: "07700 900" is found as "7700900".
    digits = re.sub(r"\D", "", text).removeprefix("0")
    if partial and len(digits) >= MIN_DIGITS:
        return "digits", known & Subscriber.phone.contains(digits, autoescape=True)
    return "number", false()


def _memberships(conn: Connection, ids: list[int]) -> dict[int, tuple[ListMembership, ...]]:
    if not ids:
        return {}
    query = (
        select(
            Membership.subscriber_id,
            Membership.list_id,
            Membership.active,
            Membership.key_contact,
            SubscriberList.name,
            SubscriberList.keyword,
        )
        .join(SubscriberList, SubscriberList.id == Membership.list_id)
        .where(Membership.subscriber_id.in_(ids))
        .order_by(SubscriberList.name)
    )
    found: dict[int, list[ListMembership]] = {}
    for r in conn.execute(query):
        found.setdefault(r.subscriber_id, []).append(
            ListMembership(r.list_id, r.name, r.keyword, bool(r.active), bool(r.key_contact))
        )
    return {k: tuple(v) for k, v in found.items()}


def _person(row: Row[Any], lists: tuple[ListMembership, ...]) -> Person:
    quiet = None
    if row.quiet_from is not None and row.quiet_to is not None:
        quiet = (row.quiet_from, row.quiet_to)
    return Person(
        row.id,
        str(row.phone),
        row.name,
        row.stopped,
        quiet,
        row.created_at,
        lists,
        row.email,
        row.channel,
        bool(row.email_stopped),
        row.location,
    )
