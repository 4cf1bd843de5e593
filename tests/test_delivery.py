from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from gateway.core.config import OutboxConfig
from gateway.core.models import Message
from gateway.outbox import delivery
from gateway.outbox.queue import Outbox
from hardware.pdu import StatusReport

TO = "+447700900601"
T = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def report(ref: int, status: int, to: str = TO) -> StatusReport:
    return StatusReport(
        message_ref=ref, recipient=to, sc_timestamp=T, discharge_time=T, status=status
    )


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(), node="n")


def sent(outbox: Outbox, refs: list[int], to: str = TO) -> int:
    msg_id = outbox.enqueue(to, "x")
    claimed = outbox.claim("m1")
    assert claimed is not None and claimed.id == msg_id
    outbox.mark_sent(msg_id, refs, modem="m1", track=True)
    return msg_id


def status(engine: Engine, msg_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(Message.status, Message.last_error).where(Message.id == msg_id))
        return tuple(row.one())  # type: ignore[return-value]


def test_a_delivered_report_marks_the_message_delivered(outbox: Outbox, engine: Engine) -> None:
    msg_id = sent(outbox, [17])
    assert delivery.apply(engine, "m1", report(17, 0x00), 3600) == msg_id
    assert status(engine, msg_id) == ("delivered", None)


def test_a_failed_report_fails_the_message_with_the_networks_reason(
    outbox: Outbox, engine: Engine
) -> None:
    msg_id = sent(outbox, [18])
    delivery.apply(engine, "m1", report(18, 0x41), 3600)
    assert status(engine, msg_id) == (
        "failed",
        "not delivered: TP-ST 0x41: incompatible destination",
    )


def test_a_long_message_is_delivered_when_every_part_is(outbox: Outbox, engine: Engine) -> None:
    msg_id = sent(outbox, [20, 21])
    assert delivery.apply(engine, "m1", report(21, 0x00), 3600) is None
    assert status(engine, msg_id)[0] == "sent"
    assert delivery.apply(engine, "m1", report(20, 0x00), 3600) == msg_id
    assert status(engine, msg_id)[0] == "delivered"


def test_a_report_still_trying_changes_nothing(outbox: Outbox, engine: Engine) -> None:
    msg_id = sent(outbox, [22])
    assert delivery.apply(engine, "m1", report(22, 0x21), 3600) is None
    assert status(engine, msg_id)[0] == "sent"


def test_a_rolled_over_reference_matches_the_newest_send_to_that_number(
    outbox: Outbox, engine: Engine
) -> None:
    old = sent(outbox, [5])
    new = sent(outbox, [5])
    other = sent(outbox, [5], to="+447700900602")
    assert delivery.apply(engine, "m1", report(5, 0x00), 3600) == new
    assert [status(engine, i)[0] for i in (old, new, other)] == ["sent", "delivered", "sent"]


def test_a_report_from_another_modem_or_number_matches_nothing(
    outbox: Outbox, engine: Engine
) -> None:
    msg_id = sent(outbox, [9])
    assert delivery.apply(engine, "m2", report(9, 0x00), 3600) is None
    assert delivery.apply(engine, "m1", report(9, 0x00, to="+447700900699"), 3600) is None
    assert status(engine, msg_id)[0] == "sent"
