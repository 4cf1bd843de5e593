"""locations: where a subscriber is and where a sighting was

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-14

A subscriber's location is kept as typed (a grid reference, "lat,lon", a gazetteer place or
a postcode district) beside the position read from it, so alerts can go to those near a
place. A sighting keeps the position read from its best location (a grid reference, then a
place, then a postcode district) and which of those it came from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns only (as 0013): no batch copy of the tables other tables point at.
    op.add_column("subscribers", sa.Column("location", sa.String(length=40), nullable=True))
    op.add_column("subscribers", sa.Column("lat", sa.Float(), nullable=True))
    op.add_column("subscribers", sa.Column("lon", sa.Float(), nullable=True))
    op.add_column("sightings", sa.Column("lat", sa.Float(), nullable=True))
    op.add_column("sightings", sa.Column("lon", sa.Float(), nullable=True))
    op.add_column(
        "sightings",
        sa.Column("located_from", sa.String(length=16), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("sightings") as batch:
        batch.drop_column("located_from")
        batch.drop_column("lon")
        batch.drop_column("lat")
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("lon")
        batch.drop_column("lat")
        batch.drop_column("location")
