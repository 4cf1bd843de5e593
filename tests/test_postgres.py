"""Several gateways on one PostgreSQL: claims that never overlap, leases that bring back
what a dead gateway held, one scheduler leader with take-over, NOTIFY that wakes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pg import PgServer
from sqlalchemy import Engine, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DatabaseError

from gateway.core import audit, migrate
from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine, utcnow
from gateway.core.models import Message
from gateway.jobs.leader import LOCK_KEY, Leadership
from gateway.outbox.claims import STATEMENTS
from gateway.outbox.listen import OutboxListener
from gateway.outbox.queue import Outbox


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    return pg_server.new_database()


@pytest.fixture
def engines(pg_url: str) -> Iterator[list[Engine]]:
    made = [make_engine(pg_url) for _ in range(3)]
    migrate.upgrade(made[0])
    yield made
    for eng in made:
        eng.dispose()


def test_the_claim_skips_rows_another_gateway_has_locked() -> None:
    claim = str(STATEMENTS[(False, False, True, False)].compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in claim
    plain = STATEMENTS[(False, False, False, False)].compile(dialect=postgresql.dialect())
    assert "FOR UPDATE" not in str(plain)


def test_gateways_claiming_at_once_never_take_the_same_message(engines: list[Engine]) -> None:
    outboxes = [Outbox(eng, OutboxConfig(), f"node{i}") for i, eng in enumerate(engines)]
    outboxes[0].enqueue_many([(f"+4477009{i:05d}", f"m{i}") for i in range(600)], ids=False)
    taken: list[tuple[str, int]] = []
    lock = threading.Lock()

    def worker(outbox: Outbox, modem: str) -> None:
        msg = outbox.claim(modem)
        while msg is not None:
            with lock:
                taken.append((outbox.node, msg.id))
            outbox.mark_sent(msg.id, [1], modem=modem)
            msg = outbox.claim(modem)

    threads = [
        threading.Thread(target=worker, args=(ob, f"{ob.node}-m{j}"))
        for ob in outboxes
        for j in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    ids = Counter(msg_id for _, msg_id in taken)
    assert len(ids) == 600 and max(ids.values()) == 1
    assert len({node for node, _ in taken}) == 3  # the work was shared
    assert outboxes[0].counts()["sent"] == 600


def test_a_dead_gateways_claims_come_back_after_the_lease(engines: list[Engine]) -> None:
    dead = Outbox(engines[0], OutboxConfig(lease=60), "dead")
    alive = Outbox(engines[1], OutboxConfig(lease=60), "alive")
    msg_id = dead.enqueue("+447700900123", "in flight when the gateway died")
    assert dead.claim("m1") is not None
    assert alive.requeue_expired() == 0  # still within its lease
    with engines[1].begin() as conn:
        conn.execute(update(Message).values(claimed_at=utcnow() - timedelta(seconds=61)))
    assert alive.requeue_expired() == 1
    again = alive.claim("m2")
    assert again is not None and again.id == msg_id and again.attempts == 2
    # Should the first gateway wake up after all, its late outcome does not overwrite.
    dead.mark_sent(msg_id, [7], modem="m1")
    with engines[1].connect() as conn:
        row = conn.execute(select(Message.status, Message.claimed_by)).one()
    assert tuple(row) == ("sending", "alive")


def test_one_gateway_leads_and_another_takes_over_when_it_dies(engines: list[Engine]) -> None:
    first, second = Leadership(engines[0]), Leadership(engines[1])
    assert first.acquire() and not second.acquire()
    assert first.acquire()  # asking again while leading is fine
    with engines[2].connect() as conn:  # the leader's connection dies, as with kill -9
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND objid = :k"
            ),
            {"k": LOCK_KEY & 0xFFFFFFFF},
        ).scalar()
        conn.commit()
    assert killed
    assert not first.still_held()
    assert second.acquire()
    assert not first.acquire()
    second.release()
    assert first.acquire()
    first.release()


def test_queued_work_wakes_another_gateway_at_once(engines: list[Engine], pg_url: str) -> None:
    woken = threading.Event()
    listener = OutboxListener(pg_url, woken.set)
    listener.start()
    try:
        assert listener.listening.wait(10)
        other = Outbox(engines[1], OutboxConfig(), "console")
        with engines[1].begin() as conn:  # work that rolls back announces nothing
            other.enqueue_in(conn, "+447700900124", "never", kind="direct")
            conn.rollback()
        assert not woken.wait(1.5)
        other.enqueue("+447700900124", "a sighting forward")
        assert woken.wait(2)
    finally:
        listener.stop()


def test_two_gateways_on_one_sqlite_file_take_turns_to_lead(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/smsgw.db"
    one, two = make_engine(url), make_engine(url)
    first, second = Leadership(one), Leadership(two)
    try:
        assert first.acquire() and not second.acquire()
        first.release()
        assert second.acquire() and not first.acquire()
    finally:
        first.release()
        second.release()
        one.dispose()
        two.dispose()


def test_postgresql_refuses_to_truncate_the_audit_log(engines: list[Engine]) -> None:
    """Row triggers do not fire on TRUNCATE (SQLite has none): migration 0010 adds a
    statement trigger."""
    engine = engines[0]
    audit.record(engine, "admin1", "alert-sent", "ref A1")
    for statement in ("TRUNCATE audit_log", "TRUNCATE audit_log RESTART IDENTITY CASCADE"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in audit.entries(engine)] == ["admin1"]


def test_an_outcome_is_written_after_the_server_dropped_the_modems_session(
    engines: list[Engine],
) -> None:
    """A modem's outcomes go on a connection it keeps (SentRecorder), which the pool does
    not ping as it does at checkout. PostgreSQL restarted, or a firewall dropped the idle
    session, between two sends: the next outcome is still written, on a fresh connection,
    so the message is not left `sending` for the lease to send again."""
    outbox = Outbox(engines[0], OutboxConfig(), "node0")
    outbox.enqueue_many([("+447700900101", "Gate open"), ("+447700900102", "Gate open")])
    first, second = outbox.claim("m1"), outbox.claim("m1")
    assert first is not None and second is not None
    recorder = outbox.recorder("m1")
    try:
        assert outbox.record_sent(first.id, [1], modem="m1", recorder=recorder)
        with engines[1].begin() as conn:
            dropped = conn.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        assert dropped >= 1
        assert outbox.record_sent(second.id, [2], modem="m1", recorder=recorder)
    finally:
        recorder.close()
    with engines[2].connect() as conn:
        states = conn.scalars(select(Message.status).order_by(Message.id)).all()
    assert states == ["sent", "sent"]
