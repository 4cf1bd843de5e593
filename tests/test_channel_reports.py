"""A hosted service's word on a message, and texts it received, written to the database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from gateway.channels.base import Inbound, Status
from gateway.channels.reports import apply_status, ref_key, store_inbound
from gateway.core.config import InboundConfig, OutboxConfig
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage, Message
from gateway.inbox.store import Inbox, Received
from gateway.outbox import states
from gateway.outbox.queue import Outbox

TO = "+447700900512"


@pytest.fixture
def outbox(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(), node="gw1")


def handed(outbox: Outbox, engine: Engine, provider: str, sid: str) -> int:
    msg_id = outbox.enqueue(TO, "x")
    assert outbox.claim(provider) is not None
    with engine.begin() as conn:
        assert states.finish_in(conn, msg_id, "gw1", status="sent", refs=sid, sent_at=utcnow())
    return msg_id


def row(engine: Engine, msg_id: int) -> tuple[str, str | None, datetime | None]:
    with engine.connect() as conn:
        found = conn.execute(
            select(Message.status, Message.last_error, Message.checked_at).where(
                Message.id == msg_id
            )
        )
        return tuple(found.one())  # type: ignore[return-value]


def test_a_pending_status_settles_nothing_but_notes_the_check(
    outbox: Outbox, engine: Engine
) -> None:
    msg_id = handed(outbox, engine, "twilio1", "SMa")
    assert apply_status(engine, "twilio1", Status("SMa", "sent", "sent")) is None
    status, error, checked = row(engine, msg_id)
    assert (status, error) == ("sent", None) and checked is not None


def test_delivered_settles_once(outbox: Outbox, engine: Engine) -> None:
    msg_id = handed(outbox, engine, "twilio1", "SMb")
    assert apply_status(engine, "twilio1", Status("SMb", "delivered", "delivered")) == msg_id
    assert apply_status(engine, "twilio1", Status("SMb", "delivered", "delivered")) is None
    assert apply_status(engine, "twilio1", Status("SMb", "failed", "failed")) is None
    assert row(engine, msg_id)[:2] == ("delivered", None)


def test_a_status_matches_only_the_provider_that_sent_it(outbox: Outbox, engine: Engine) -> None:
    msg_id = handed(outbox, engine, "twilio1", "SMc")
    assert apply_status(engine, "other", Status("SMc", "failed", "failed")) is None
    assert apply_status(engine, "twilio1", Status("SMzz", "failed", "failed")) is None
    assert row(engine, msg_id)[:2] == ("sent", None)


def test_a_text_whose_routing_fails_stays_unrouted_for_the_sweep(engine: Engine) -> None:
    inbox = Inbox(engine, InboundConfig())
    seen: list[Received] = []

    def broken(msg: Received) -> None:
        seen.append(msg)
        raise RuntimeError("the router fell over")

    text = Inbound(TO, "Lamping in the wood", "SM" + "1" * 32, utcnow())
    stored = store_inbound(inbox, [broken], "twilio1", text)
    assert stored is not None and [m.id for m in seen] == [stored.id]
    assert [m.id for m in inbox.unrouted("twilio1")] == [stored.id]
    assert store_inbound(inbox, [broken], "twilio1", text) is None  # filed once, not re-run
    with engine.connect() as conn:
        attempts = conn.scalars(select(InboundMessage.route_attempts)).all()
    assert attempts == [1]


def test_a_service_id_never_looks_like_a_sims_concat_reference() -> None:
    keys = {ref_key(f"SM{n:032x}") for n in range(2000)}
    assert all(0x10000 <= k < 2**31 for k in keys)
    assert ref_key("SMabc") == ref_key("SMabc") and len(keys) == 2000
