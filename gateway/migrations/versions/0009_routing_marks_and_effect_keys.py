"""routing marks on received texts, keys that make routing's effects happen once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

A text is routed (its sighting filed, its keyword obeyed, its reply queued) at least
once: `routed_at` stays empty until routing finished, and what is unrouted is routed
again. Routing again must not do anything twice, so each effect carries a unique key:
one sighting per text, one reply per text, one alert per relayed command.
Texts stored before this revision were routed by the old code: they count as routed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("route_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("route_error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_inbound_unrouted", ["routed_at", "modem"], unique=False)
    op.execute("UPDATE inbound_messages SET routed_at = received_at")
    with op.batch_alter_table("inbound_parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdu", sa.Text(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=80), nullable=True))
        batch_op.create_index("uq_messages_dedupe_key", ["dedupe_key"], unique=True)
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.create_index("uq_sightings_inbound", ["inbound_id"], unique=True)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=80), nullable=True))
        batch_op.create_index("uq_alerts_source", ["source"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("uq_alerts_source")
        batch_op.drop_column("source")
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index("uq_sightings_inbound")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("uq_messages_dedupe_key")
        batch_op.drop_column("dedupe_key")
    with op.batch_alter_table("inbound_parts", schema=None) as batch_op:
        batch_op.drop_column("pdu")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_unrouted")
        batch_op.drop_column("note")
        batch_op.drop_column("route_error")
        batch_op.drop_column("route_attempts")
        batch_op.drop_column("routed_at")
