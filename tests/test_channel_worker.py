"""The worker beside the modems (gateway/channels/worker.py), its steps called one at a
time, against local stand-ins that speak FastSMS's and Twilio's APIs over real HTTP, on a
real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastsms_standin import FastSmsStandin
from sqlalchemy import Engine, select, update
from twilio_standin import ACCOUNT, TOKEN, TwilioStandin

from gateway.channels.fastsms import FastSms
from gateway.channels.twilio import Twilio
from gateway.channels.worker import ChannelWorker, ProviderSender
from gateway.core.config import OutboxConfig, ProviderConfig
from gateway.core.db import utcnow
from gateway.core.models import Message, ModemStatus
from gateway.outbox.queue import Outbox

TO = "+447700900401"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fast() -> Iterator[FastSmsStandin]:
    with FastSmsStandin(token="tok") as standin:
        yield standin


@pytest.fixture
def twilio() -> Iterator[TwilioStandin]:
    with TwilioStandin(deliver_after=0.0) as standin:
        yield standin


def outbox_of(engine: Engine) -> Outbox:
    return Outbox(engine, OutboxConfig(), "node")


def fastsms_worker(
    engine: Engine, fast: FastSmsStandin, clock: Clock, **kwargs: object
) -> ChannelWorker:
    settings = ProviderConfig("fastsms", "fastsms", url=fast.url, token_file="x", sender="Police")
    service = FastSms(settings, "tok", timeout=1.0)
    options: dict[str, object] = {"use": "overflow", "max_per_second": 0.0, **kwargs}
    return ChannelWorker(
        ProviderSender(service),
        kind="provider",
        engine=engine,
        outbox=outbox_of(engine),
        node="node",
        provider=service,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def twilio_worker(engine: Engine, twilio: TwilioStandin, clock: Clock) -> ChannelWorker:
    settings = ProviderConfig(
        "twilio", "twilio", url=twilio.url, account=ACCOUNT, token_file="x", sender="+447700900000"
    )
    service = Twilio(settings, TOKEN)
    return ChannelWorker(
        ProviderSender(service),
        kind="provider",
        engine=engine,
        outbox=outbox_of(engine),
        node="node",
        provider=service,
        use="overflow",
        clock=clock,
    )


def row(engine: Engine, msg_id: int) -> Message:
    with engine.connect() as conn:
        found = conn.execute(select(Message).where(Message.id == msg_id)).one()
    return found  # type: ignore[return-value]


def test_a_message_queued_for_the_service_goes_and_is_delivered(
    engine: Engine, fast: FastSmsStandin
) -> None:
    outbox = outbox_of(engine)
    [msg_id] = outbox.enqueue_many([(TO, "Silver Subaru at Docking")], "urgent", channel="fastsms")
    [sim_id] = outbox.enqueue_many([(TO, "For a modem")], "urgent")
    worker = fastsms_worker(engine, fast, Clock())
    assert worker.send_one() is True
    assert worker.send_one() is False  # the SIM's message is not the service's to take
    sent = row(engine, msg_id)
    assert (sent.status, sent.modem, sent.channel) == ("sent", "fastsms", "fastsms")
    assert sent.refs == fast.made[0].id
    assert [m.destination for m in fast.made] == ["447700900401"]
    assert row(engine, sim_id).status == "queued"
    assert worker.poll_status() is True  # the stand-in delivers at once
    assert row(engine, msg_id).status == "delivered"


def test_a_bad_number_fails_for_good_and_the_channel_goes_on(
    engine: Engine, fast: FastSmsStandin
) -> None:
    fast.invalid.add("447700900402")
    outbox = outbox_of(engine)
    bad, good = outbox.enqueue_many(
        [("+447700900402", "x"), (TO, "y")], "urgent", channel="fastsms"
    )
    worker = fastsms_worker(engine, fast, Clock())
    assert worker.send_one() and worker.send_one()
    failed = row(engine, bad)
    assert failed.status == "failed" and "-401" in (failed.last_error or "")
    assert row(engine, good).status == "sent"


def test_no_credit_pauses_the_channel_and_costs_the_message_no_attempt(
    engine: Engine, fast: FastSmsStandin
) -> None:
    fast.credits = 0
    clock = Clock()
    [msg_id] = outbox_of(engine).enqueue_many([(TO, "x")], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, clock)
    assert worker.send_one() is True
    held = row(engine, msg_id)
    assert (held.status, held.attempts) == ("queued", 0)
    assert worker.state == "paused" and "-100" in worker.detail
    fast.credits = 10
    assert worker.send_one() is False  # still paused
    clock.now += 901
    assert worker.send_one() is True
    assert row(engine, msg_id).status == "sent"


def test_a_lost_answer_from_twilio_is_asked_about_not_sent_twice(
    engine: Engine, twilio: TwilioStandin
) -> None:
    twilio.drop = True
    clock = Clock()
    [msg_id] = outbox_of(engine).enqueue_many([(TO, "Gates shut")], "urgent", channel="twilio")
    worker = twilio_worker(engine, twilio, clock)
    assert worker.send_one() is True
    assert row(engine, msg_id).status == "sending"  # made or not: unknown until asked
    assert worker.state == "paused"
    twilio.drop = False
    clock.now += 31
    worker.send_one()  # the pause ends: ask first
    settled = row(engine, msg_id)
    assert settled.status == "sent"
    assert len(twilio.made_to(TO)) == 1
    assert settled.refs == twilio.made_to(TO)[0].sid


def test_a_lost_answer_from_twilio_that_made_nothing_is_sent_again_once(
    engine: Engine, twilio: TwilioStandin
) -> None:
    clock = Clock()
    [msg_id] = outbox_of(engine).enqueue_many([(TO, "Gates shut")], "urgent", channel="twilio")
    worker = twilio_worker(engine, twilio, clock)
    claimed = worker.outbox.claim("twilio", channels=("twilio",))
    assert claimed is not None  # as if the daemon died with it in flight, never made
    worker.recover()
    assert row(engine, msg_id).status == "queued"
    assert worker.send_one() is True
    assert len(twilio.made_to(TO)) == 1


def test_a_lost_answer_from_fastsms_is_parked_never_sent_twice(
    engine: Engine, fast: FastSmsStandin
) -> None:
    fast.drop_next = 1
    clock = Clock()
    [msg_id] = outbox_of(engine).enqueue_many([(TO, "Gates shut")], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, clock)
    assert worker.send_one() is True
    clock.now += 31
    worker.send_one()
    parked = row(engine, msg_id)
    assert parked.status == "failed" and (parked.last_error or "").startswith("parked:")
    assert len(fast.made_to("447700900401")) == 1


def test_failover_takes_sim_messages_only_while_no_modem_can_send(
    engine: Engine, fast: FastSmsStandin
) -> None:
    clock = Clock()
    outbox = outbox_of(engine)
    first, second = outbox.enqueue_many([(TO, "forward 1"), (TO, "forward 2")], "duty")
    worker = fastsms_worker(engine, fast, clock, use="failover", heard_within=180.0)
    clock.now += 61  # past the start's grace
    with engine.begin() as conn:
        conn.execute(
            ModemStatus.__table__.insert().values(
                name="sim1", state="ready", registration="home", updated_at=utcnow()
            )
        )
    assert worker.channels() == ("fastsms",)
    assert worker.send_one() is False
    with engine.begin() as conn:  # the modem is lost
        conn.execute(update(ModemStatus).values(state="disconnected"))
    assert worker.channels() == ("fastsms", "sim")
    assert worker.send_one() is True
    taken = row(engine, first)
    assert (taken.status, taken.channel, taken.modem) == ("sent", "fastsms", "fastsms")
    with engine.begin() as conn:  # back
        conn.execute(update(ModemStatus).values(state="ready", updated_at=utcnow()))
    assert worker.send_one() is False
    assert row(engine, second).status == "queued"


def test_never_sends_and_a_daily_cap_stops_it(engine: Engine, fast: FastSmsStandin) -> None:
    outbox = outbox_of(engine)
    ids = outbox.enqueue_many([(TO, f"m{n}") for n in range(3)], "urgent", channel="fastsms")
    idle = fastsms_worker(engine, fast, Clock(), use="never")
    assert idle.send_one() is False and fast.made == []
    capped = fastsms_worker(engine, fast, Clock(), max_per_day=2)
    assert capped.send_one() and capped.send_one()
    assert capped.send_one() is False and capped.state == "day-limit"
    assert [row(engine, i).status for i in ids] == ["sent", "sent", "queued"]


def test_the_rate_holds_in_every_second_as_the_service_counts(
    engine: Engine, fast: FastSmsStandin
) -> None:
    clock = Clock()
    outbox_of(engine).enqueue_many([(TO, "a"), (TO, "b"), (TO, "c")], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, clock, max_per_second=2.0)
    assert worker.send_one() and worker.send_one()  # a second's worth at once
    assert worker.send_one() is False
    clock.now += 1.0
    assert worker.send_one() is False  # a second exactly, and room for the network's jitter
    clock.now += 0.03
    assert worker.send_one() is True


def test_its_state_is_listed_with_the_modems(engine: Engine, fast: FastSmsStandin) -> None:
    worker = fastsms_worker(engine, fast, Clock())
    worker.note(force=True)
    with engine.connect() as conn:
        found = conn.execute(select(ModemStatus).where(ModemStatus.name == "fastsms")).one()
    assert (found.channel, found.state) == ("provider", "ready")
    assert found.updated_at > utcnow() - timedelta(minutes=1)


def test_a_dead_gateways_message_is_asked_about_not_requeued_by_its_lease(
    engine: Engine, twilio: TwilioStandin
) -> None:
    """Review of issue 16: the lease must not requeue what a hosted service may have made;
    the service's worker on another gateway adopts it and asks Twilio first."""
    dead = Outbox(engine, OutboxConfig(), "dead-gateway")
    [msg_id] = dead.enqueue_many([(TO, "Gates shut")], "urgent", channel="twilio")
    assert dead.claim("twilio", channels=("twilio",)) is not None
    made = twilio_worker(engine, twilio, Clock()).provider
    assert made is not None
    sid = made.send(TO, "Gates shut").ref  # it went; the dead gateway never wrote it down
    with engine.begin() as conn:
        conn.execute(
            update(Message)
            .where(Message.id == msg_id)
            .values(claimed_at=utcnow() - timedelta(minutes=10))
        )
    alive = twilio_worker(engine, twilio, Clock())
    alive.outbox.keep_on_lease = ("twilio",)
    assert alive.outbox.requeue_expired() == 0
    assert row(engine, msg_id).status == "sending"
    alive.recover()
    found = row(engine, msg_id)
    assert (found.status, found.refs, found.claimed_by) == ("sent", sid, "node")
    assert len(twilio.made_to(TO)) == 1


def test_a_message_the_service_took_is_never_parked_when_the_record_fails(
    engine: Engine, fast: FastSmsStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    [msg_id] = outbox_of(engine).enqueue_many([(TO, "Gates shut")], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, Clock())
    real = worker.outbox.mark_handed
    calls: list[int] = []

    def locked_once(msg: int, ref: str, *, sender: str) -> None:
        calls.append(msg)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        real(msg, ref, sender=sender)

    monkeypatch.setattr(worker.outbox, "mark_handed", locked_once)
    assert worker.send_one() is True
    assert row(engine, msg_id).status == "sending"  # not parked as failed
    worker.step()
    settled = row(engine, msg_id)  # recorded, and then asked about (the worker was idle)
    assert settled.status in ("sent", "delivered") and settled.refs == fast.made[0].id
    assert len(fast.made) == 1


def test_a_lost_answer_is_not_matched_to_an_earlier_message_with_the_same_words(
    engine: Engine, twilio: TwilioStandin
) -> None:
    clock = Clock()
    outbox = outbox_of(engine)
    earlier, again = outbox.enqueue_many(
        [(TO, "Gates shut"), (TO, "Gates shut")], "urgent", channel="twilio"
    )
    worker = twilio_worker(engine, twilio, clock)
    assert worker.send_one() is True
    assert row(engine, earlier).status == "sent"
    twilio.drop = True  # the second request goes, its answer does not
    assert worker.send_one() is True
    twilio.drop = False
    clock.now += 31
    worker.send_one()
    made = twilio.made_to(TO)
    assert len(made) == 2
    assert row(engine, again).refs == made[1].sid != row(engine, earlier).refs


def test_a_spent_day_clears_when_the_budget_allows_again(
    engine: Engine, fast: FastSmsStandin
) -> None:
    outbox_of(engine).enqueue_many([(TO, "a"), (TO, "b")], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, Clock(), max_per_day=1)
    assert worker.send_one() and not worker.send_one()
    assert worker.state == "day-limit"
    worker.budget.per_day = 5  # as when the 24 hours have rolled on
    assert worker.send_one() is True and worker.state == "ready"


def test_status_questions_keep_to_the_services_pace(engine: Engine, fast: FastSmsStandin) -> None:
    clock = Clock()
    outbox_of(engine).enqueue_many([(TO, f"m{n}") for n in range(3)], "urgent", channel="fastsms")
    worker = fastsms_worker(engine, fast, clock, max_per_second=3.0)
    assert worker.send_one() and worker.send_one() and worker.send_one()
    clock.now += 0.5  # the second is still full: no status question may go
    worker.poll_status()
    asked = [s for s in fast.seen if "CheckMessageStatus" in s.body]
    assert asked == []
    clock.now += 0.6
    worker._next_poll = 0.0
    worker.poll_status()
    assert len([s for s in fast.seen if "CheckMessageStatus" in s.body]) == 3
