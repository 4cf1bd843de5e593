"""delivery reports and modem health

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("modem", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tp_status", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sent_parts", schema=None) as batch_op:
        batch_op.create_index("ix_sent_parts_match", ["modem", "ref", "sent_at"], unique=False)
        batch_op.create_index("ix_sent_parts_message", ["message_id"], unique=False)

    with op.batch_alter_table("modem_status", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("registration", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("sim", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("port", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("resting_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("day_left", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recipients_left", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("modem_status", schema=None) as batch_op:
        batch_op.drop_column("recipients_left")
        batch_op.drop_column("day_left")
        batch_op.drop_column("resting_until")
        batch_op.drop_column("last_error")
        batch_op.drop_column("port")
        batch_op.drop_column("sim")
        batch_op.drop_column("registration")

    with op.batch_alter_table("sent_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_sent_parts_message")
        batch_op.drop_index("ix_sent_parts_match")

    op.drop_table("sent_parts")
