"""alerts and templates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


SUSPECT_VEHICLE = (
    "POLICE ALERT {reference}: suspect vehicle {colour} {make_model} {registration}, "
    "seen {where} at {time}, heading {direction}. {action}"
)


def upgrade() -> None:
    op.create_table(
        "alert_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("list_ids", sa.String(length=256), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_messages_alert", ["alert_id", "status"], unique=False)
        batch_op.create_index("ix_messages_to", ["to", "sent_at"], unique=False)

    templates = sa.table(
        "alert_templates",
        sa.column("name", sa.String),
        sa.column("body", sa.Text),
        sa.column("created_by", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    op.bulk_insert(
        templates,
        [
            {
                "name": "suspect vehicle",
                "body": SUSPECT_VEHICLE,
                "created_by": "smsgw",
                "created_at": datetime(2026, 11, 22),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_to")
        batch_op.drop_index("ix_messages_alert")
        batch_op.drop_column("alert_id")

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("alert_id")

    op.drop_table("alerts")
    op.drop_table("alert_templates")
