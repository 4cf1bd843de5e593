"""Patrol points (field gates, lay-bys) and the visits officers text in from them.
Timestamps are naive UTC (see db.utcnow); gateway/core/models.py re-exports both tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from gateway.core.base import Base


class PatrolPoint(Base):
    """A place on a patrol route; its code (upper case) is what the QR code's text carries."""

    __tablename__ = "patrol_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(40), default="", server_default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    __table_args__ = (UniqueConstraint("code", name="uq_patrol_points_code"),)


class PatrolVisit(Base):
    """One check-in: who was at which point when, and what they noted."""

    __tablename__ = "patrol_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("patrol_points.id", ondelete="CASCADE"))
    operator_id: Mapped[int | None] = mapped_column(
        ForeignKey("operators.id", ondelete="SET NULL"), default=None
    )
    officer: Mapped[str] = mapped_column(String(100))  # the name at the time
    phone: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(Text, default="")
    inbound_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # Comma-separated plates found in the notes: "KX19 ABC,YR68 XYZ".
    registrations: Mapped[str] = mapped_column(String(200), default="", server_default="")

    __table_args__ = (
        UniqueConstraint("inbound_id", name="uq_patrol_visits_inbound"),  # one visit per text
        Index("ix_patrol_visits_point_at", "point_id", "at"),
        Index("ix_patrol_visits_at", "at"),
    )
