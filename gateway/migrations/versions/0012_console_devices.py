"""browsers that signed in before: their own login buckets (device cookies)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A name's login bucket (0010) is shared with whoever guesses at the name, so a guess a
minute kept its owner out. `console_devices` holds the browsers that signed in as a user
(the hash of the token their device cookie carries) and a bucket for each: attempts from
a known browser draw from its own. A new password or deactivation deletes a user's rows,
as it does their sessions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_devices",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=False),
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_console_devices_user", "console_devices", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_console_devices_user", table_name="console_devices")
    op.drop_table("console_devices")
