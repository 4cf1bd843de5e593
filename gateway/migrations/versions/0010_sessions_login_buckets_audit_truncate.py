"""console sessions, login buckets, and an audit log that refuses TRUNCATE

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Flask keeps a console session in its cookie, so only the server can make one stop
working: `console_sessions` holds the sign-ins still valid (a hash of the token each
cookie carries). Signing out deletes one row; a new password or deactivation deletes
all of a user's. Cookies issued before this revision name no session: everyone signs
in again once.
`login_buckets` holds one token bucket per user name for the login rate limit, in the
database so that a try is taken with one conditional UPDATE, atomic across threads
and processes. PostgreSQL's row triggers of 0002 do not fire on TRUNCATE: a statement
trigger refuses it too (SQLite has no TRUNCATE; its DELETE trigger covers it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["user_id"], unique=False)
    op.create_table(
        "login_buckets",
        sa.Column("username", sa.String(length=64), nullable=False),
        # When the bucket is full again, in seconds since the epoch (GCRA's "theoretical
        # arrival time"): one number is the whole bucket, so one UPDATE can take a try.
        sa.Column("full_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.drop_table("login_buckets")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
