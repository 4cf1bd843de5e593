"""alerts to the members near a place

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

An alert may go only to its lists' members within `radius_km` of a point (`near_lat`,
`near_lon`, the place as typed in `near_text`), and to those with no location when
`include_unplaced`. Kept on the alert because a scheduled alert, or a fan-out resumed
after a crash, picks its recipients when it goes. NULL: the whole lists, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns only: no batch copy of `alerts`, which `messages` refers to.
    op.add_column("alerts", sa.Column("near_lat", sa.Float(), nullable=True))
    op.add_column("alerts", sa.Column("near_lon", sa.Float(), nullable=True))
    op.add_column("alerts", sa.Column("radius_km", sa.Float(), nullable=True))
    op.add_column(
        "alerts",
        sa.Column("include_unplaced", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "alerts",
        sa.Column("near_text", sa.String(length=60), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("near_text")
        batch.drop_column("include_unplaced")
        batch.drop_column("radius_km")
        batch.drop_column("near_lon")
        batch.drop_column("near_lat")
