"""Faults the database itself injects: a trigger that refuses one kind of row, so a
test can fail the last write of a transaction on SQLite and PostgreSQL alike, the way
a full disk or a power cut between two writes would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine


@contextmanager
def audit_refused(engine: Engine, action: str) -> Iterator[None]:
    """While inside, the database refuses an audit entry of `action` (the statement fails)."""
    assert action.replace("-", "").isalnum()  # it goes into the SQL as written
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION"
                " 'refused by the test'; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW"
                f" WHEN (NEW.action = '{action}') EXECUTE FUNCTION refuse_audit()"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log WHEN NEW.action = "
                f"'{action}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("DROP TRIGGER refuse_audit ON audit_log")
                conn.exec_driver_sql("DROP FUNCTION refuse_audit()")
            else:
                conn.exec_driver_sql("DROP TRIGGER refuse_audit")
