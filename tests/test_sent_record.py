"""The outcome the radio waits for, written on the driver's own cursor (SentRecorder),
must be the very row the ordinary path writes (Outbox.record_sent through SQLAlchemy), on
SQLite and on PostgreSQL (`--db postgresql`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from gateway.core.config import OutboxConfig
from gateway.core.models import Message, SentPart
from gateway.outbox.queue import Outbox

NODE = "n1"


def outbox(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(), NODE)


def row(engine: Engine, msg_id: int) -> tuple[object, ...]:
    with engine.connect() as conn:
        m = conn.execute(select(Message).where(Message.id == msg_id)).one()
        parts = conn.execute(
            select(SentPart.modem, SentPart.ref, SentPart.part, SentPart.status)
            .where(SentPart.message_id == msg_id)
            .order_by(SentPart.part)
        ).all()
    return (m.status, type(m.sent_at), m.refs, m.parts, m.last_error, [tuple(p) for p in parts])


def test_the_recorder_writes_what_the_ordinary_path_writes(engine: Engine) -> None:
    box = outbox(engine)
    box.enqueue_many([("+447700900101", "Gate open"), ("+447700900102", "Gate open")])
    first, second = box.claim("m1"), box.claim("m1")
    assert first is not None and second is not None
    recorder = box.recorder("m1")
    try:
        assert box.record_sent(first.id, [17, 18], modem="m1", track=True)
        assert box.record_sent(second.id, [17, 18], modem="m1", track=True, recorder=recorder)
    finally:
        recorder.close()
    ordinary, fast = row(engine, first.id), row(engine, second.id)
    assert fast == ordinary
    assert fast[:4] == ("sent", datetime, "17,18", 2)
    assert fast[5] == [("m1", 17, 1, "sent"), ("m1", 18, 2, "sent")]
    with engine.connect() as conn:  # sent_at written as SQLAlchemy writes it: comparable
        sent = conn.scalars(select(Message.sent_at).order_by(Message.id)).all()
    assert sent[0] is not None and sent[1] is not None and sent[0] <= sent[1]


def test_the_recorder_says_when_a_message_queued_since_outranks_the_one_claimed_ahead(
    engine: Engine,
) -> None:
    box = outbox(engine)
    box.enqueue_many([(f"+44770090010{n}", "Alert: silver Subaru") for n in range(4)], "urgent")
    sent, ahead = box.claim("m1"), box.claim("m1")
    assert sent is not None and ahead is not None
    recorder = box.recorder("m1")
    try:
        assert box.record_sent(sent.id, [1], modem="m1", ahead=ahead, recorder=recorder)
        box.enqueue("+447700900601", "Sighting S1001 forwarded", "duty")
        later = box.claim("m1", only_to=["+447700900102"])  # the officer's is duty: left
        assert later is not None and later.to == "+447700900102"
        assert not box.record_sent(ahead.id, [2], modem="m1", ahead=later, recorder=recorder)
        # A modem whose limits leave the officer out (SQLAlchemy's path, with the numbers):
        # a claim now would not take the duty message, so nothing outranks.
        last = box.claim("m1", only_to=["+447700900103"], duty_to=["+447700900103"])
        assert last is not None
        known = ["+447700900103"]
        assert box.record_sent(
            later.id, [3], modem="m1", ahead=last, only_to=known, duty_to=known, recorder=recorder
        )
    finally:
        recorder.close()
    assert [row(engine, m.id)[0] for m in (sent, ahead, later)] == ["sent"] * 3


def test_a_message_no_longer_ours_is_left_as_it_is(engine: Engine) -> None:
    box, other = outbox(engine), Outbox(engine, OutboxConfig(), "n2")
    msg_id = box.enqueue("+447700900101", "Gate open")
    claimed = other.claim("m9")
    assert claimed is not None and claimed.id == msg_id
    recorder = box.recorder("m1")
    try:
        box.record_sent(msg_id, [5], modem="m1", track=True, recorder=recorder)
    finally:
        recorder.close()
    assert row(engine, msg_id)[0] == "sending"
    assert row(engine, msg_id)[5] == []
