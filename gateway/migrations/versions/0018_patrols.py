"""patrol points and the visits officers text in from them

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-14

`patrol_points` are the field gates and lay-bys on patrol routes, each with a code printed
as a QR code on the briefing sheet. `patrol_visits` holds one row per check-in text:
`inbound_id` is unique so a text routed twice makes one visit; `officer` keeps the name at
the time, so renaming an operator does not rewrite the record.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrol_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False, server_default=""),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_patrol_points_code"),
    )
    op.create_table(
        "patrol_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("registrations", sa.String(length=200), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["point_id"], ["patrol_points.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbound_id", name="uq_patrol_visits_inbound"),
    )
    op.create_index("ix_patrol_visits_point_at", "patrol_visits", ["point_id", "at"])
    op.create_index("ix_patrol_visits_at", "patrol_visits", ["at"])


def downgrade() -> None:
    op.drop_index("ix_patrol_visits_at", table_name="patrol_visits")
    op.drop_index("ix_patrol_visits_point_at", table_name="patrol_visits")
    op.drop_table("patrol_visits")
    op.drop_table("patrol_points")
