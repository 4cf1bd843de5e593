from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.outbox.queue import Outbox, UnknownPriority

A = "+447700900101"
B = "+447700900102"


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(max_attempts=3, retry_base=10), node="test-node")


def test_it_claims_urgent_before_normal_before_bulk(outbox: Outbox) -> None:
    bulk = outbox.enqueue(A, "bulk", "bulk")
    normal = outbox.enqueue(A, "normal", "normal")
    urgent = outbox.enqueue(A, "urgent", "urgent")
    order = [outbox.claim("m1") for _ in range(3)]
    assert [c.id for c in order if c] == [urgent, normal, bulk]
    assert outbox.claim("m1") is None


def test_a_claim_is_written_before_the_send(outbox: Outbox, engine: Engine) -> None:
    msg_id = outbox.enqueue(A, "hello")
    claimed = outbox.claim("m1")
    assert claimed is not None and claimed.attempts == 1
    with engine.connect() as conn:
        row = conn.execute(select(Message).where(Message.id == msg_id)).one()
    assert (row.status, row.attempts, row.modem, row.claimed_by) == (
        "sending",
        1,
        "m1",
        "test-node",
    )


def test_a_retried_message_does_not_block_the_rest(outbox: Outbox) -> None:
    dead = outbox.enqueue(A, "to a dead number", "urgent")
    claimed = outbox.claim("m1")
    assert claimed is not None and claimed.id == dead
    assert outbox.retry_later(claimed, "+CMS ERROR 38")
    later = outbox.enqueue(B, "next one", "bulk")
    nxt = outbox.claim("m1")
    assert nxt is not None and nxt.id == later
    # once the wait is over, the failed one is due again
    again = outbox.claim("m1", now=utcnow() + timedelta(seconds=11))
    assert again is not None and again.id == dead and again.attempts == 2


def test_it_fails_a_message_after_max_attempts(outbox: Outbox, engine: Engine) -> None:
    msg_id = outbox.enqueue(A, "x")
    future = utcnow()
    for attempt in range(1, 4):
        future += timedelta(hours=1)
        claimed = outbox.claim("m1", now=future)
        assert claimed is not None and claimed.attempts == attempt
        requeued = outbox.retry_later(claimed, "+CMS ERROR 38")
        assert requeued == (attempt < 3)
    assert outbox.counts()["failed"] == 1
    with engine.connect() as conn:
        error = conn.scalar(select(Message.last_error).where(Message.id == msg_id))
    assert error is not None and "gave up after 3 attempts" in error


def test_hand_back_does_not_count_the_attempt(outbox: Outbox) -> None:
    outbox.enqueue(A, "x")
    claimed = outbox.claim("m1")
    assert claimed is not None
    outbox.hand_back(claimed.id, "port lost")
    again = outbox.claim("m2")
    assert again is not None and again.attempts == 1


def test_requeue_stale_puts_back_only_this_nodes_sending_rows(
    outbox: Outbox, engine: Engine
) -> None:
    outbox.enqueue(A, "x")
    outbox.enqueue(B, "y")
    assert outbox.claim("m1") is not None
    other = Outbox(engine, OutboxConfig(), node="other-node")
    assert other.claim("m9") is not None
    assert outbox.requeue_stale(["m1"]) == 1
    assert outbox.counts() == {
        "queued": 1,
        "sending": 1,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "cancelled": 0,
        "opted_out": 0,
    }


def test_concurrent_workers_never_claim_the_same_message(outbox: Outbox) -> None:
    ids = outbox.enqueue_many([(A, f"m{i}") for i in range(300)])
    taken: list[list[int]] = [[] for _ in range(4)]

    def work(n: int) -> None:
        while (c := outbox.claim(f"m{n}")) is not None:
            taken[n].append(c.id)
            outbox.mark_sent(c.id, [1])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for t in taken for i in t]
    assert sorted(everything) == ids
    assert outbox.counts()["sent"] == 300


def test_an_unknown_priority_is_refused(outbox: Outbox) -> None:
    with pytest.raises(UnknownPriority):
        outbox.enqueue(A, "x", "asap")
