"""the webhook outbox, and when each alert was reported finished

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

`webhook_events` holds one row per (event, webhook), queued in the transaction of what it
reports and retried until the receiver answers 2xx (gateway/jobs/webhooks.py).
`alerts.finished_at` records the one alert.finished of each alert; alerts already
finished when this runs are stamped, so an upgrade does not report the whole history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", "url"),
    )
    op.create_index("ix_webhook_events_due", "webhook_events", ["delivered_at", "next_attempt_at"])
    op.add_column("alerts", sa.Column("finished_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE alerts SET finished_at = CURRENT_TIMESTAMP WHERE id NOT IN "
        "(SELECT alert_id FROM messages WHERE alert_id IS NOT NULL "
        "AND status IN ('queued', 'sending'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("finished_at")
    op.drop_index("ix_webhook_events_due", table_name="webhook_events")
    op.drop_table("webhook_events")
