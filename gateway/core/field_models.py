"""The field side's tables: officers who can be on duty, their shifts and the rota's
notices, and the sightings forwarded to them. Timestamps are naive UTC (see db.utcnow);
gateway/core/models.py re-exports every table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.core.base import Base


class Operator(Base):
    """An officer or member of staff who can be on duty and text the gateway commands."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(256), default="")  # for RELAY and CLOSE by SMS
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    start: Mapped[datetime]
    end: Mapped[datetime]
    role: Mapped[str] = mapped_column(String(16), default="primary")  # primary, backup
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_shifts_time", "start", "end"),)


class Sighting(Base):
    """A report from the field, its original text kept beside what was read from it."""

    __tablename__ = "sightings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)  # "S1042"
    inbound_id: Mapped[int | None] = mapped_column(Integer, default=None)
    sender: Mapped[str] = mapped_column(String(32))
    sender_name: Mapped[str] = mapped_column(String(100), default="")
    known_sender: Mapped[bool] = mapped_column(default=True)  # a subscriber, or not
    text: Mapped[str] = mapped_column(Text)
    parsed: Mapped[str] = mapped_column(Text, default="{}")  # JSON of what the parser found
    registrations: Mapped[str] = mapped_column(String(256), default="")  # "KX19 ABC;YR68 XYZ"
    place: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, acknowledged, closed
    hot: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    acknowledged_by: Mapped[int | None] = mapped_column(Integer, default=None)  # operator id
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    escalation: Mapped[int] = mapped_column(Integer, default=0)  # 0 primary, 1 backup, 2 fallback
    escalate_at: Mapped[datetime | None] = mapped_column(default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)  # the best position found
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    # What the position was read from: "grid_ref", "place", "postcode" ("": none).
    located_from: Mapped[str] = mapped_column(String(16), server_default="")  # set on filing

    __table_args__ = (
        Index("uq_sightings_inbound", "inbound_id", unique=True),  # one sighting per text
        Index("ix_sightings_created", "created_at"),
        Index("ix_sightings_escalate", "status", "escalate_at"),
    )


class SightingVehicle(Base):
    """One registration in one report: how reports of the same vehicle find each other."""

    __tablename__ = "sighting_vehicles"

    id: Mapped[int] = mapped_column(primary_key=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    registration: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(32))
    seen_at: Mapped[datetime]

    __table_args__ = (Index("ix_sighting_vehicles_reg", "registration", "seen_at"),)


class RotaNotice(Base):
    """A text the rota sends once: a gap warning, a shift reminder, a handover digest.

    The unique key is what makes "once" hold across restarts and across gateways.
    """

    __tablename__ = "rota_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # "reminder:12", "gap:2026-..."
    kind: Mapped[str] = mapped_column(String(16))  # gap, reminder, handover
    message_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime]
