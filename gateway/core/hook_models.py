"""The webhook outbox: one row per (event, webhook), written in the transaction of what it
reports and deleted never (delivered rows keep `delivered_at`). Timestamps are naive UTC;
gateway/core/models.py re-exports the table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.core.base import Base


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the event's, on every try
    url: Mapped[str] = mapped_column(String(500), primary_key=True)  # the webhook it goes to
    type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]  # when it happened
    data: Mapped[str] = mapped_column(Text)  # JSON
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_webhook_events_due", "delivered_at", "next_attempt_at"),)
