"""Database tables. Timestamps are naive UTC (see db.utcnow). The field side's (officers,
shifts, rota notices, sightings) are in field_models.py; every table is importable here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from gateway.core.base import Base as Base
from gateway.core.field_models import Operator as Operator
from gateway.core.field_models import RotaNotice as RotaNotice
from gateway.core.field_models import Shift as Shift
from gateway.core.field_models import Sighting as Sighting
from gateway.core.field_models import SightingVehicle as SightingVehicle
from gateway.core.hook_models import WebhookEvent as WebhookEvent
from gateway.core.patrol_models import PatrolPoint as PatrolPoint
from gateway.core.patrol_models import PatrolVisit as PatrolVisit
from gateway.core.token_models import ApiToken as ApiToken


class Message(Base):
    """The durable outbox: a message exists here before anything touches a modem."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))  # a number, or an address for "email"
    text: Mapped[str] = mapped_column(Text)
    # "sim" (a modem), a hosted service's name, or "email": what the message goes by.
    channel: Mapped[str] = mapped_column(String(32), default="sim", server_default="sim")
    # -1 duty (what officers depend on), 0 urgent (alerts), 1 normal, 2 bulk: outbox.PRIORITIES
    priority: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    modem: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    # TP-MR per part; for a hosted service, its own id for the message.
    refs: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)  # a service last asked
    # "direct" (send, replies, forwards) or "broadcast" (to a list: opt-outs apply).
    kind: Mapped[str] = mapped_column(String(16), default="direct", server_default="direct")
    list_id: Mapped[int | None] = mapped_column(Integer, default=None)  # a broadcast's list
    alert_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # What queued it, when queuing again must not send it twice ("reply:<inbound id>").
    dedupe_key: Mapped[str | None] = mapped_column(String(80), default=None)

    __table_args__ = (
        Index("uq_messages_dedupe_key", "dedupe_key", unique=True),
        Index("ix_messages_claim", "status", "channel", "priority", "id", "next_attempt_at"),
        Index("ix_messages_modem_status", "modem", "status"),
        Index("ix_messages_alert", "alert_id", "status"),
        Index("ix_messages_to", "to", "sent_at"),
        Index("ix_messages_sent", "sent_at", "modem"),  # sent today, in the last hour
        Index("ix_messages_refs", "refs"),  # a hosted service's status names its own id
    )


class InboundMessage(Base):
    """A received text, its parts joined; `complete` is false when parts never came."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    sc_timestamp: Mapped[datetime]
    received_at: Mapped[datetime]
    complete: Mapped[bool] = mapped_column(default=True)
    parts: Mapped[int] = mapped_column(Integer, default=1)
    concat_ref: Mapped[int] = mapped_column(Integer, default=-1)
    modem: Mapped[str] = mapped_column(String(64), default="")
    alert_id: Mapped[int | None] = mapped_column(Integer, default=None)  # a reply to this alert
    # Routing (keywords, the sightings desk) is done at least once: empty until it finished.
    routed_at: Mapped[datetime | None] = mapped_column(default=None)
    route_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    route_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What was done to the text to store it ("1 NUL character replaced"), or "".
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        Index("ix_inbound_unrouted", "routed_at", "modem"),
        Index("ix_inbound_received", "received_at"),
        Index("ix_inbound_sender", "sender", "received_at"),
    )


class InboundPart(Base):
    """One part as read off a SIM. The unique key is what makes a re-read harmless."""

    __tablename__ = "inbound_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32))
    sc_timestamp: Mapped[datetime]
    concat_ref: Mapped[int] = mapped_column(Integer)  # -1 for a single-part message
    part: Mapped[int] = mapped_column(Integer)
    parts: Mapped[int] = mapped_column(Integer)
    # A hash of the text, so two different texts sent within one second both count.
    digest: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    modem: Mapped[str] = mapped_column(String(64), default="")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), default=None
    )
    pdu: Mapped[str | None] = mapped_column(Text, default=None)  # kept when the text was altered

    __table_args__ = (
        UniqueConstraint("sender", "sc_timestamp", "concat_ref", "part", "digest", name="uq_part"),
        Index("ix_inbound_parts_pending", "message_id", "sender", "concat_ref"),
    )


class UndecodablePdu(Base):
    """A stored SMS our codec could not read: kept, never silently dropped."""

    __tablename__ = "undecodable_pdus"

    id: Mapped[int] = mapped_column(primary_key=True)
    modem: Mapped[str] = mapped_column(String(64))
    pdu: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]


class ModemStatus(Base):
    """The last known state of each modem, written by the daemon, read by status and console."""

    __tablename__ = "modem_status"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    node: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    manufacturer: Mapped[str] = mapped_column(String(64), default="")
    model: Mapped[str] = mapped_column(String(64), default="")
    imei: Mapped[str] = mapped_column(String(32), default="")
    operator: Mapped[str] = mapped_column(String(64), default="")
    rssi: Mapped[int | None] = mapped_column(Integer, default=None)
    sent_today: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
    registration: Mapped[str] = mapped_column(String(16), default="")
    sim: Mapped[str] = mapped_column(String(16), default="")
    port: Mapped[str] = mapped_column(String(256), default="")  # the device in use now
    last_error: Mapped[str] = mapped_column(Text, default="")
    resting_until: Mapped[datetime | None] = mapped_column(default=None)
    day_left: Mapped[int | None] = mapped_column(Integer, default=None)  # of max_per_day
    recipients_left: Mapped[int | None] = mapped_column(Integer, default=None)
    # "sim" for a modem; a hosted service ("provider") and email publish here too.
    channel: Mapped[str] = mapped_column(String(16), default="sim", server_default="sim")


class SentPart(Base):
    """One part handed to the network, with the reference a status report will quote."""

    __tablename__ = "sent_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    modem: Mapped[str] = mapped_column(String(64))
    ref: Mapped[int] = mapped_column(Integer)  # TP-MR, 0-255: rolls over, so match recent ones
    part: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent, delivered, failed
    tp_status: Mapped[int | None] = mapped_column(Integer, default=None)
    reported_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_sent_parts_match", "modem", "ref", "sent_at"),
        Index("ix_sent_parts_message", "message_id"),
    )


class User(Base):
    """A console login. Passwords and API tokens are stored only as hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin, operator, viewer
    api_token_hash: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ConsoleSession(Base):
    """A console sign-in that is still valid. The cookie carries its token; signing out
    deletes the row, a new password or deactivation deletes all of the user's, so a
    copied cookie stops working (Flask keeps the session itself in the cookie)."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_console_sessions_user", "user_id"),)


class ConsoleDevice(Base):
    """A browser that signed in as its user: its device cookie carries the token, and
    attempts at that user from it draw from its own login bucket (gateway/core/login_limit.py).
    A new password or deactivation deletes all of the user's, like their sessions."""

    __tablename__ = "console_devices"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256, hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_in_at: Mapped[datetime]  # the last sign-in from it: forgotten a year after
    full_at: Mapped[float] = mapped_column(Float)  # epoch seconds when the bucket is full

    __table_args__ = (Index("ix_console_devices_user", "user_id"),)


class LoginBucket(Base):
    """The login rate limit's token bucket for one user name (gateway/core/login_limit.py)."""

    __tablename__ = "login_buckets"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_at: Mapped[float] = mapped_column(Float)  # epoch seconds when the bucket is full


class AuditEntry(Base):
    """Append-only record of who did what. The migration adds triggers that refuse
    UPDATE and DELETE, so not even a bug in this code can rewrite history."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))  # a username, "sms:<masked number>" or "system"
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_audit_at", "at"),)


class SubscriberList(Base):
    """An area or interest group ("Docking farms") that people join by its keyword."""

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    keyword: Mapped[str] = mapped_column(String(20), unique=True)  # upper case
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Subscriber(Base):
    """A person who gets alerts, by SMS, email or both (`channel`): `stopped` is the SMS
    STOP, `email_stopped` the email one. After an erase only the id and the dates remain."""

    __tablename__ = "subscribers"
    __table_args__ = (
        Index("uq_subscribers_email_token", "email_token", unique=True),
        Index("ix_subscribers_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)  # E.164; None once erased
    name: Mapped[str] = mapped_column(String(100), default="")
    stopped: Mapped[bool] = mapped_column(default=False)  # STOP by SMS: no broadcast text
    quiet_from: Mapped[int | None] = mapped_column(Integer, default=None)  # hour, local time
    quiet_to: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    channel: Mapped[str] = mapped_column(String(8), default="sms", server_default="sms")
    email_stopped: Mapped[bool] = mapped_column(default=False, server_default=false())
    email_token: Mapped[str | None] = mapped_column(String(32), default=None)  # the leave link's
    location: Mapped[str | None] = mapped_column(String(40), default=None)  # as typed, cleaned
    lat: Mapped[float | None] = mapped_column(Float, default=None)  # read from `location`
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class Membership(Base):
    __tablename__ = "memberships"

    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True
    )
    list_id: Mapped[int] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(default=True)  # false after STOP <list>
    key_contact: Mapped[bool] = mapped_column(default=False)  # gets alerts first
    joined_at: Mapped[datetime]

    __table_args__ = (Index("ix_memberships_list", "list_id", "active"),)


class Consent(Base):
    """Every join and leave, how and by whom: the record that a person agreed."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("lists.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(
        String(16)
    )  # join, leave, stop, start, erase; stop-email, start-email
    method: Mapped[str] = mapped_column(String(16))  # sms, qr, officer, import
    by: Mapped[str] = mapped_column(String(64), default="")  # the officer's user name
    at: Mapped[datetime]

    __table_args__ = (Index("ix_consents_subscriber", "subscriber_id"),)


class Alert(Base):
    """A broadcast to lists: who sent what, to whom, and how far it has got."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # "A1042", quoted in replies
    text: Mapped[str] = mapped_column(Text)
    list_ids: Mapped[str] = mapped_column(String(256))  # "3,1": in the order chosen
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # scheduled, sending, cancelled, sent
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    send_at: Mapped[datetime | None] = mapped_column(default=None)  # naive UTC when scheduled
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_by: Mapped[str] = mapped_column(String(64), default="")
    # What made it, when making it again must not send it twice ("inbound:<id>" for RELAY).
    source: Mapped[str | None] = mapped_column(String(80), default=None)
    # Only the members within radius_km of (near_lat, near_lon), and with include_unplaced
    # those with no location too; NULL: the whole lists (migration 0015).
    near_lat: Mapped[float | None] = mapped_column(Float, default=None)
    near_lon: Mapped[float | None] = mapped_column(Float, default=None)
    radius_km: Mapped[float | None] = mapped_column(Float, default=None)
    include_unplaced: Mapped[bool] = mapped_column(default=False, server_default=false())
    near_text: Mapped[str] = mapped_column(String(60), default="", server_default="")
    finished_at: Mapped[datetime | None] = mapped_column(default=None)  # alert.finished sent

    __table_args__ = (Index("uq_alerts_source", "source", unique=True),)


class AlertTemplate(Base):
    """A text with named fields ("{registration} {colour} {make} seen at {place} ...")."""

    __tablename__ = "alert_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]
