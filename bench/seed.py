"""A month of a busy force's data, written straight into a migrated database.

What the console benchmark reads: 26,500 subscribers in four lists, 200,000 outbox
messages (alerts to the lists, plus the thank-yous, forwards and keyword replies that
go with 5,000 sightings and the texts that came in), a rota, modems and an audit trail,
all spread over the last 30 days. Rows go in with bulk inserts (one executemany per
table), which is what makes a database this size take seconds rather than minutes; the
services would take an hour to build it one action at a time.

Numbers are fictional only: Ofcom's drama numbers, topped up with North America's
555-01xx (tests/drama.py). The mobiles +447700900900-999 are kept out of the subscribers
for senders nobody knows and for the officers.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from bench.subscriber_import import _drama
from gateway.core import users
from gateway.core.db import utcnow
from gateway.core.models import (
    Alert,
    AuditEntry,
    Consent,
    InboundMessage,
    Membership,
    Message,
    ModemStatus,
    Operator,
    Shift,
    Sighting,
    SightingVehicle,
    Subscriber,
    SubscriberList,
)
from gateway.sightings import parser as sighting_parser

SUBSCRIBERS = 26_500
MESSAGES = 200_000
SIGHTINGS = 5_000
KEYWORD_TEXTS = 5_000  # JOINs, STOPs and the like, each answered
DAYS = 30
LISTS = (
    ("Docking farms", "DOCKING"),
    ("North coast", "NORTH"),
    ("Shop watch", "SHOPS"),
    ("West Norfolk gamekeepers", "WNKEEPERS"),
)
ALERT_LISTS: tuple[tuple[int, ...], ...] = (
    (0,),
    (1, 2),
    (3,),
    (0, 3),
    (2,),
    (1,),
    (0, 1),
    (3, 2),
    (0,),
    (1, 3),
)
IN_FLIGHT = 2_500  # the newest alert is still going out: these are queued
MODEMS = ("m1", "m2")
USERS = (("admin1", "admin"), ("operator1", "operator"), ("viewer1", "viewer"))
FIRST = ("Tom", "Sarah", "Jim", "Ann", "Dave", "Kath", "Ravi", "Megan", "Owen", "Lucy")
LAST = ("Wright", "Bell", "Howard", "Cole", "Reeve", "Moss", "Patel", "Hughes", "Fenn", "Drake")
COLOURS = ("silver", "white", "black", "blue", "green", "red")
MAKES = ("Subaru", "Transit van", "Pajero", "L200 pickup", "Shogun", "Hilux", "Land Rover")
SIGHTING_TEXTS = (
    "{colour} {make} {reg} parked by the gate at {place}, {n} men with lurchers",
    "{colour} {make} {reg} heading towards {place} on the B1153, no lights",
    "2 dogs running hares in the field behind {place}, {colour} {make} {reg} nearby",
    "{reg} {colour} {make} driving slowly along the lane out of {place}",
    "lamping near {place} again, torch beams, {colour} {make} reg {reg}",
)
LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
VEHICLES = 300  # distinct vehicles in the reports
HOT_WINDOW = timedelta(hours=2)
OPEN_FOR = timedelta(hours=3)  # reports younger than this are still open
ACTED_ON = ("closed", "closed", "closed", "acknowledged")  # older ones, at random


@dataclass(frozen=True)
class Seeded:
    """What went in, for the benchmark's note and its sanity checks."""

    subscribers: int
    messages: int
    sightings: int
    open_sightings: int
    hot_sightings: int


def seed(engine: Engine, password: str, *, now: datetime | None = None) -> Seeded:
    """Fill a freshly migrated database; the users in USERS get `password`."""
    now = now or utcnow()
    rng = random.Random(7)
    numbers: list[str] = _drama().fictional(SUBSCRIBERS + 100)
    strangers, officers = numbers[900:950], numbers[950:960]
    phones = numbers[:900] + numbers[1000:]
    for username, role in USERS:
        users.add(engine, username, password, role)
    with engine.begin() as conn:
        conn.execute(insert(SubscriberList), _lists(now))
        people, members, consents = _people(phones, now, rng)
        conn.execute(insert(Subscriber), people)
        conn.execute(insert(Membership), members)
        conn.execute(insert(Consent), consents)
        operators, shifts = _rota(officers, now)
        conn.execute(insert(Operator), operators)
        conn.execute(insert(Shift), shifts)
        conn.execute(insert(ModemStatus), _modems(now))
        sightings, vehicles, reports = _sightings(phones[:300], strangers, people, now, rng)
        keywords = _keyword_texts(phones, now, rng)
        conn.execute(insert(InboundMessage), _in_time_order(reports + keywords, sightings))
        conn.execute(insert(Sighting), sightings)
        conn.execute(insert(SightingVehicle), vehicles)
        direct = _direct_messages(sightings, keywords, officers, now)
        alerts, broadcast = _alerts(members, people, MESSAGES - len(direct), now, rng)
        conn.execute(insert(Alert), alerts)
        outbox = sorted(broadcast + direct, key=lambda m: m["created_at"])
        conn.execute(insert(Message), outbox)
        conn.execute(insert(AuditEntry), _audit(alerts, sightings))
    return Seeded(
        subscribers=len(people),
        messages=len(broadcast) + len(direct),
        sightings=len(sightings),
        open_sightings=sum(s["status"] == "open" for s in sightings),
        hot_sightings=sum(s["hot"] for s in sightings),
    )


def _in_time_order(
    inbound: list[dict[str, Any]], sightings: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Number received texts as the daemon would have, in the order they came in."""
    rows = sorted(inbound, key=lambda r: r["received_at"])
    for n, row in enumerate(rows, start=1):
        row["id"] = n
    ids = {(r["sender"], r["received_at"]): r["id"] for r in rows}
    for s in sightings:
        s["inbound_id"] = ids[(s["sender"], s["created_at"])]
    return rows


def _lists(now: datetime) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "name": name, "keyword": kw, "description": "", "created_at": now}
        for i, (name, kw) in enumerate(LISTS)
    ]


def _people(
    phones: Sequence[str], now: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Everyone in one list, a third in a second; a few key contacts, STOPs, quiet hours."""
    people, members, consents = [], [], []
    for i, phone in enumerate(phones, start=1):
        joined = now - timedelta(days=rng.uniform(DAYS, 400))
        quiet = rng.random() < 0.1
        people.append(
            {
                "id": i,
                "phone": phone,
                "name": f"{FIRST[i % 10]} {LAST[i // 10 % 10]}" if i % 5 else "",
                "stopped": rng.random() < 0.02,
                "quiet_from": 22 if quiet else None,
                "quiet_to": 7 if quiet else None,
                "created_at": joined,
                "erased_at": None,
            }
        )
        lists = [i % 4 + 1] + ([(i + 1) % 4 + 1] if i % 3 == 0 else [])
        for list_id in lists:
            members.append(
                {
                    "subscriber_id": i,
                    "list_id": list_id,
                    "active": rng.random() > 0.03,
                    "key_contact": i % 97 == 0,
                    "joined_at": joined,
                }
            )
            consents.append(
                {
                    "subscriber_id": i,
                    "list_id": list_id,
                    "action": "join",
                    "method": rng.choice(("sms", "qr", "import", "officer")),
                    "by": "operator1",
                    "at": joined,
                }
            )
    return people, members, consents


def _rota(
    officers: Sequence[str], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Day and night shifts from 30 days ago to a week ahead, with a night uncovered."""
    operators = [
        {
            "id": i + 1,
            "name": f"PC {LAST[i]}",
            "phone": phone,
            "pin_hash": "",
            "active": True,
            "created_at": now - timedelta(days=60),
        }
        for i, phone in enumerate(officers[:6])
    ]
    shifts = []
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(-DAYS, 8):
        for half in (0, 1):
            start = midnight + timedelta(days=day, hours=7 + 12 * half)
            if day == 3 and half == 1:
                continue  # the gap the dashboard should warn about
            shifts.append(_shift((day * 2 + half) % 6 + 1, start, "primary", now))
            shifts.append(_shift((day * 2 + half + 3) % 6 + 1, start, "backup", now))
    return operators, shifts


def _shift(operator_id: int, start: datetime, role: str, now: datetime) -> dict[str, Any]:
    return {
        "operator_id": operator_id,
        "start": start,
        "end": start + timedelta(hours=12),
        "role": role,
        "created_by": "admin1",
        "created_at": now - timedelta(days=DAYS + 1),
    }


def _modems(now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "node": "bench",
            "state": "ready",
            "detail": "",
            "manufacturer": "Emulated",
            "model": "smsgw",
            "imei": f"35693803564380{i}",
            "operator": "EE",
            "rssi": 18 + 3 * i,
            "sent_today": 240,
            "updated_at": now,
            "registration": "home",
            "sim": "ready",
            "port": f"/dev/ttyUSB{i}",
            "last_error": "",
            "resting_until": None,
            "day_left": None,
            "recipients_left": 60,
        }
        for i, name in enumerate(MODEMS)
    ]


def _registration(rng: random.Random) -> str:
    letters = "".join(rng.choice(LETTERS) for _ in range(3))
    return f"{rng.choice(('KX', 'YR', 'WU', 'AV', 'EY'))}{rng.randint(10, 23)} {letters}"


def _sightings(
    keepers: Sequence[str],
    strangers: Sequence[str],
    people: Sequence[dict[str, Any]],
    now: datetime,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """One report in 25 is someone else seeing the vehicle of the report before, which
    makes both hot (two people within two hours); the newest reports are still open."""
    names = {p["phone"]: p["name"] for p in people}
    places = sighting_parser.DEFAULT_GAZETTEER[:30]
    reports: list[tuple[str, sighting_parser.Parsed]] = []  # two ways to report each vehicle
    for _ in range(VEHICLES):
        reg, colour, make = _registration(rng), rng.choice(COLOURS).title(), rng.choice(MAKES)
        for template in rng.sample(SIGHTING_TEXTS, 2):
            text = template.format(
                colour=colour, make=make, reg=reg, place=rng.choice(places), n=rng.randint(1, 4)
            )
            reports.append((text, sighting_parser.parse(text)))
    times = sorted(now - timedelta(days=rng.uniform(0, DAYS)) for _ in range(SIGHTINGS))
    sightings: list[dict[str, Any]] = []
    vehicles: list[dict[str, Any]] = []
    inbound: list[dict[str, Any]] = []
    vehicle = 0
    for sid, created in enumerate(times, start=1):
        again = sightings and rng.random() < 0.04
        vehicle = vehicle if again else rng.randrange(VEHICLES)
        text, found = reports[2 * vehicle + rng.randrange(2)]
        sender = rng.choice(strangers) if rng.random() < 0.05 else rng.choice(keepers)
        previous = sightings[-1] if again else None
        hot = bool(
            previous
            and previous["sender"] != sender
            and created - previous["created_at"] < HOT_WINDOW
        )
        if previous and hot:
            previous["hot"] = True
        status = "open" if now - created < OPEN_FOR else rng.choice(ACTED_ON)
        sightings.append(
            {
                "id": sid,
                "ref": f"S{1000 + sid}",
                "inbound_id": None,  # numbered with the other texts: _in_time_order
                "sender": sender,
                "sender_name": names.get(sender, ""),
                "known_sender": sender in names,
                "text": text,
                "parsed": json.dumps(dataclasses.asdict(found)),
                "registrations": ";".join(found.registrations),
                "place": found.places[0] if found.places else "",
                "status": status,
                "hot": hot,
                "created_at": created,
                "acknowledged_by": None if status == "open" else sid % 6 + 1,
                "acknowledged_at": None if status == "open" else created + timedelta(minutes=4),
                "closed_at": created + timedelta(hours=1) if status == "closed" else None,
                "escalation": 0,
                "escalate_at": created + timedelta(minutes=10) if status == "open" else None,
            }
        )
        vehicles += [
            {"sighting_id": sid, "registration": plate, "sender": sender, "seen_at": created}
            for plate in found.registrations
        ]
        inbound.append(_inbound(sender, text, created))
    return sightings, vehicles, inbound


def _inbound(sender: str, text: str, at: datetime) -> dict[str, Any]:
    return {
        "sender": sender,
        "text": text,
        "sc_timestamp": at,
        "received_at": at,
        "complete": True,
        "parts": 1,
        "concat_ref": -1,
        "modem": MODEMS[int(sender[-1]) % 2],
        "alert_id": None,
    }


def _keyword_texts(
    phones: Sequence[str], now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    words = ("JOIN DOCKING", "STOP", "JOIN SHOPS", "LISTS", "QUIET 22-07", "STOP NORTH")
    return [
        _inbound(
            rng.choice(phones),
            words[i % len(words)],
            now - timedelta(days=rng.uniform(0, DAYS)),
        )
        for i in range(KEYWORD_TEXTS)
    ]


def _message(to: str, text: str, created: datetime, status: str, **extra: Any) -> dict[str, Any]:
    """One outbox row in its final state: sent a few seconds after it was queued."""
    done = status != "queued"
    sent = created + timedelta(seconds=3) if status in ("sent", "delivered") else None
    row = {
        "to": to,
        "text": text,
        "priority": 1,
        "status": status,
        "attempts": 1 if done else 0,
        "last_error": "+CMS ERROR: 38" if status == "failed" else None,
        "modem": MODEMS[int(to[-1]) % 2] if done else None,
        "claimed_by": None,
        "parts": 1,
        "refs": "17" if sent else None,
        "created_at": created,
        "next_attempt_at": created,
        "claimed_at": created + timedelta(seconds=1) if done else None,
        "sent_at": sent,
        "delivered_at": sent + timedelta(seconds=20) if sent and status == "delivered" else None,
        "failed_at": created + timedelta(minutes=5) if status == "failed" else None,
        "kind": "direct",
        "list_id": None,
        "alert_id": None,
    }
    row.update(extra)
    return row


def _outcome(i: int) -> str:
    """Most delivered, some only sent (no report came), a few failed."""
    return "failed" if i % 29 == 0 else "sent" if i % 13 == 0 else "delivered"


def _direct_messages(
    sightings: Sequence[dict[str, Any]],
    keywords: Sequence[dict[str, Any]],
    officers: Sequence[str],
    now: datetime,
) -> list[dict[str, Any]]:
    """Per sighting a thank-you and a forward to the officer; a reply per keyword text."""
    rows = []
    for s in sightings:
        fresh = now - s["created_at"] < timedelta(minutes=2)
        rows.append(
            _message(
                s["sender"],
                f"Thanks, logged as {s['ref']}. In an emergency call 999.",
                s["created_at"],
                "queued" if fresh else _outcome(s["id"]),
            )
        )
        rows.append(
            _message(
                officers[s["id"] % 6],
                f"{s['ref']} {s['registrations']} {s['place']}: {s['text'][:100]}",
                s["created_at"],
                "queued" if fresh else _outcome(s["id"] + 1),
                priority=0,
            )
        )
    reply = "You have joined Docking farms. Reply STOP DOCKING to leave that list."
    for n, k in enumerate(keywords):
        rows.append(_message(k["sender"], reply, k["received_at"], _outcome(n)))
    return rows


def _alerts(
    members: Sequence[dict[str, Any]],
    people: Sequence[dict[str, Any]],
    budget: int,
    now: datetime,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Alerts to one or two lists every few days until the budget of messages is spent;
    the newest went out a quarter of an hour ago and is still sending."""
    phone = {p["id"]: p["phone"] for p in people}
    by_list: dict[int, list[int]] = {}
    for m in members:
        if m["active"]:
            by_list.setdefault(m["list_id"], []).append(m["subscriber_id"])
    alerts: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    plans: list[tuple[tuple[int, ...], list[int]]] = []  # newest first
    for lists in ALERT_LISTS * 3:
        recipients = sorted({s for list_id in lists for s in by_list[list_id + 1]})
        take = min(len(recipients), budget - sum(len(r) for _, r in plans))
        if take <= 0:
            break
        plans.append((lists, recipients[:take]))
    plans.reverse()
    for n, (lists, recipients) in enumerate(plans):
        alert_id = n + 1
        last = n == len(plans) - 1
        created = now - (
            timedelta(minutes=15) if last else timedelta(days=DAYS * (1 - n / len(plans)))
        )
        text = (
            f"Police alert {1000 + alert_id}: {rng.choice(COLOURS)} {rng.choice(MAKES)} "
            f"{_registration(rng)} seen near {rng.choice(sighting_parser.DEFAULT_GAZETTEER)}. "
            "Do not approach. Call 999 if seen. Reply with any information."
        )
        alerts.append(
            {
                "id": alert_id,
                "ref": f"A{1000 + alert_id}",
                "text": text,
                "list_ids": ",".join(str(x + 1) for x in lists),
                "priority": 0,
                "status": "sending" if last else "sent",
                "created_by": "operator1",
                "created_at": created,
                "send_at": None,
                "started_at": created,
                "recipients": len(recipients),
                "cancelled_at": None,
                "cancelled_by": "",
            }
        )
        for i, sub in enumerate(recipients):
            queued = last and i >= len(recipients) - IN_FLIGHT
            messages.append(
                _message(
                    phone[sub],
                    text,
                    created,
                    "queued" if queued else _outcome(i),
                    kind="broadcast",
                    list_id=lists[0] + 1,
                    alert_id=alert_id,
                    priority=0,
                )
            )
    return alerts, messages


def _audit(
    alerts: Sequence[dict[str, Any]], sightings: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = [
        {"at": a["created_at"], "actor": "operator1", "action": "alert-sent", "detail": a["ref"]}
        for a in alerts
    ]
    for s in sightings:
        if s["acknowledged_at"] is not None:
            rows.append(
                {
                    "at": s["acknowledged_at"],
                    "actor": "operator1",
                    "action": "sighting-acknowledged",
                    "detail": s["ref"],
                }
            )
    rows.sort(key=lambda r: r["at"])
    return rows
