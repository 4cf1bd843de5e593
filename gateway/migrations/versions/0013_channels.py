"""channels beside the SIMs: hosted SMS services and email

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

A message records the channel it goes by ("sim", a hosted service's name, or "email"), and
the claim looks at one channel at a time, so the claim's index has it after the status;
a hosted service's status names its own id for a message (`refs`, now indexed). `to` widens
to hold an email address. A hosted service's status is polled: `checked_at` says when.
Subscribers may choose email: an address, a channel (sms, email, both), the email
channel's own STOP and the token its leave link carries. `modem_status` lists every
sender, so it says which kind each is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns and indexes only: on SQLite a batch copy of `messages` would drop the old
    # table, and its foreign keys would take `sent_parts` with it.
    op.add_column(
        "messages",
        sa.Column("channel", sa.String(length=32), nullable=False, server_default="sim"),
    )
    op.add_column("messages", sa.Column("checked_at", sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # SQLite does not enforce lengths
        op.alter_column(
            "messages", "to", existing_type=sa.String(length=32), type_=sa.String(length=254)
        )
    op.drop_index("ix_messages_claim", table_name="messages")
    op.create_index(
        "ix_messages_claim", "messages", ["status", "channel", "priority", "id", "next_attempt_at"]
    )
    op.create_index("ix_messages_refs", "messages", ["refs"])
    op.add_column("subscribers", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column(
        "subscribers",
        sa.Column("channel", sa.String(length=8), nullable=False, server_default="sms"),
    )
    op.add_column(
        "subscribers",
        sa.Column("email_stopped", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("subscribers", sa.Column("email_token", sa.String(length=32), nullable=True))
    op.create_index("uq_subscribers_email_token", "subscribers", ["email_token"], unique=True)
    op.create_index("ix_subscribers_email", "subscribers", ["email"])
    op.add_column(
        "modem_status",
        sa.Column("channel", sa.String(length=16), nullable=False, server_default="sim"),
    )


def downgrade() -> None:
    with op.batch_alter_table("modem_status") as batch:
        batch.drop_column("channel")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_index("ix_subscribers_email")
        batch.drop_index("uq_subscribers_email_token")
        batch.drop_column("email_token")
        batch.drop_column("email_stopped")
        batch.drop_column("channel")
        batch.drop_column("email")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_refs")
        batch.drop_index("ix_messages_claim")
        batch.create_index("ix_messages_claim", ["status", "priority", "id", "next_attempt_at"])
        batch.alter_column("to", existing_type=sa.String(length=254), type_=sa.String(length=32))
        batch.drop_column("checked_at")
        batch.drop_column("channel")
