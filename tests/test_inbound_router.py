"""Keywords texted to the real daemon on the emulator: obeyed, answered, recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from procs import wait_for
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.models import Consent, Message
from gateway.inbox.store import Received
from gateway.subscribers.service import Subscribers
from hardware.emulator import Emulator

FARMER = "+447700900311"


@pytest.fixture
def gateway(
    tmp_path: Path, db_url: str, engine: Engine, request: pytest.FixtureRequest
) -> Iterator[tuple[Daemon, Emulator]]:
    subs = Subscribers(engine)
    subs.add_list("Docking farms", "DOCKING")
    subs.add_list("West Norfolk gamekeepers", "WNKEEPERS")
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(tmp_path / "e.log")}],
            "outbox": {"poll_interval": 0.05},
            "inbound": {"flood_limit": getattr(request, "param", 10), "flood_window": 600},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    reports: list[Received] = []
    daemon.router.on_report.append(reports.append)
    daemon.reports = reports  # type: ignore[attr-defined]
    daemon.start()
    emulator = daemon.built[0].emulator
    assert emulator is not None
    yield daemon, emulator
    daemon.stop()


def replies(tmp_path: Path, to: str = FARMER) -> list[str]:
    path = tmp_path / "e.log"
    if not path.exists():
        return []
    lines: list[dict[str, Any]] = [json.loads(x) for x in path.read_text().splitlines()]
    return [e["text"] for e in lines if e["to"] == to]


def outbox_idle(daemon: Daemon) -> bool:
    counts = daemon.outbox.counts()
    return counts["queued"] == 0 and counts["sending"] == 0


def text(emulator: Emulator, tmp_path: Path, body: str, want: int, sender: str = FARMER) -> str:
    emulator.inject(sender, body)
    wait_for(lambda: len(replies(tmp_path, sender)) >= want, 10, f"a reply to {body!r}")
    return replies(tmp_path, sender)[want - 1]


def test_join_by_sms_is_answered_and_recorded_as_consent(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    answer = text(emulator, tmp_path, "join docking Tom Wright", 1)
    assert answer.startswith("You have joined Docking farms")
    docking = daemon.subscribers.require_list("DOCKING")
    assert [r.phone for r in daemon.subscribers.recipients([docking.id])] == [FARMER]
    with engine.connect() as conn:
        assert conn.execute(select(Consent.action, Consent.method)).all() == [("join", "sms")]


def test_stop_and_start_and_stop_for_one_list(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    subs = daemon.subscribers
    subs.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    subs.join(FARMER, "WNKEEPERS", method="officer", by="pc.smith")
    ids = [subs.require_list("DOCKING").id, subs.require_list("WNKEEPERS").id]
    assert "no more alerts" in text(emulator, tmp_path, "Unsubscribe", 1)
    assert subs.recipients(ids) == []
    assert "Welcome back" in text(emulator, tmp_path, "START", 2)
    assert "left Docking farms" in text(emulator, tmp_path, "stop docking", 3)
    assert [r.list_id for r in subs.recipients(ids)] == [ids[1]]


def test_lists_help_and_quiet_hours(gateway: tuple[Daemon, Emulator], tmp_path: Path) -> None:
    daemon, emulator = gateway
    listing = text(emulator, tmp_path, "LISTS", 1)
    assert "DOCKING (Docking farms)" in listing and "WNKEEPERS" in listing
    assert "999" in text(emulator, tmp_path, "help", 2)
    assert "22:00-07:00" in text(emulator, tmp_path, "QUIET 22-07", 3)
    assert daemon.subscribers.quiet_hours(FARMER) == (22, 7)
    assert "QUIET 22-07" in text(emulator, tmp_path, "quiet 25-99", 4)  # the format, not a guess
    assert text(emulator, tmp_path, "QUIET OFF", 5) == "Quiet hours off."
    assert daemon.subscribers.quiet_hours(FARMER) is None


def test_join_with_more_words_and_no_list_like_it_is_a_report_with_one_reply(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    emulator.inject(FARMER, "Join us at the farm")
    wait_for(lambda: replies(tmp_path) != [], 10, "the sighting's reference")
    wait_for(lambda: daemon.inbox.unrouted("e1") == [], 10, "the text routed")
    wait_for(lambda: daemon.outbox.counts()["queued"] == 0, 10, "the outbox empty")
    assert [r.startswith("Thanks, logged as S") for r in replies(tmp_path)] == [True]
    assert [r.text for r in daemon.reports] == ["Join us at the farm"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("body", ["JOIN NOWHERE", "stop nowhere", "join dockng Tom Wright"])
def test_a_mistyped_list_gets_one_helpful_reply_and_is_not_a_sighting(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, body: str
) -> None:
    daemon, emulator = gateway
    word = body.split()[1].upper()
    assert text(emulator, tmp_path, body, 1) == (
        f"There is no list called {word}. Text LISTS to see them."
    )
    wait_for(lambda: daemon.inbox.unrouted("e1") == [], 10, "the text routed")
    wait_for(lambda: daemon.outbox.counts()["queued"] == 0, 10, "the outbox empty")
    assert len(replies(tmp_path)) == 1
    assert daemon.reports == [] and daemon.sightings.recent() == []  # type: ignore[attr-defined]


def test_join_after_a_stop_lifts_it_for_that_list_only(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    subs = daemon.subscribers
    subs.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    subs.join(FARMER, "WNKEEPERS", method="officer", by="pc.smith")
    docking, keepers = subs.require_list("DOCKING").id, subs.require_list("WNKEEPERS").id
    assert "no more alerts" in text(emulator, tmp_path, "STOP", 1)
    assert text(emulator, tmp_path, "JOIN DOCKING", 2).startswith("You have joined Docking farms")
    assert [r.phone for r in subs.recipients([docking])] == [FARMER]  # the reply is true
    assert subs.recipients([keepers]) == []  # the STOP still holds for the other list
    with engine.connect() as conn:
        trail = conn.execute(select(Consent.action, Consent.list_id).order_by(Consent.id)).all()
    assert [tuple(t) for t in trail][2:] == [
        ("stop", None),
        ("leave", keepers),
        ("start", None),
        ("join", docking),
    ]


def test_a_sighting_is_not_a_keyword_and_gets_passed_on(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    emulator.inject(FARMER, "Stop and search needed, white van at Docking")
    wait_for(lambda: len(daemon.reports) == 1, 10, "the report")  # type: ignore[attr-defined]
    wait_for(lambda: replies(tmp_path) != [], 10, "the sighting's reference")
    assert [r.startswith("Thanks, logged as S") for r in replies(tmp_path)] == [True]


@pytest.mark.parametrize("gateway", [3], indirect=True)
def test_a_flooding_sender_gets_no_more_replies_but_every_text_is_kept(
    gateway: tuple[Daemon, Emulator], tmp_path: Path
) -> None:
    daemon, emulator = gateway
    for n, body in enumerate(["HELP", "help", "Help!", "HELP.", "help!", "Help?"]):
        emulator.inject(FARMER, body)  # different texts: the same text twice is one SMS
        wait_for(lambda n=n: len(daemon.inbox.recent()) == n + 1, 10, "the text stored")
    wait_for(lambda: daemon.inbox.unrouted("e1") == [], 10, "every text routed")
    wait_for(lambda: outbox_idle(daemon), 10, "the outbox idle")  # what was queued, sent
    assert len(replies(tmp_path)) == 3  # flood_limit = 3: the 4th and later get none
    assert len(daemon.inbox.recent()) == 6


def test_a_broadcast_is_checked_again_just_before_it_goes(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, _ = gateway
    subs = daemon.subscribers
    keeper, sleeper = "+447700900321", "+447700900322"
    docking = subs.join(keeper, "DOCKING", method="officer", by="pc.smith").id
    subs.join(sleeper, "DOCKING", method="officer", by="pc.smith")
    hour = datetime.now(UTC).astimezone(daemon.gate.zone).hour
    subs.set_quiet(sleeper, hour, (hour + 2) % 24)  # quiet right now
    subs.set_stopped(keeper, True)  # a STOP that arrived after the alert was queued
    bulk = daemon.outbox.enqueue_many(
        [(keeper, "bulk news", docking), (sleeper, "bulk news", docking)],
        "bulk",
        kind="broadcast",
    )
    urgent = daemon.outbox.enqueue_many(
        [(keeper, "urgent alert", docking), (sleeper, "urgent alert", docking)],
        "urgent",
        kind="broadcast",
    )

    def states() -> list[str]:
        with engine.connect() as conn:
            return [
                conn.scalar(select(Message.status).where(Message.id == i)) or ""
                for i in bulk + urgent
            ]

    wait_for(lambda: states()[3] in ("sent", "delivered"), 10, "the urgent alert to the sleeper")
    wait_for(
        lambda: states()[0] == "opted_out" and states()[2] == "opted_out", 10, "the stopped ones"
    )
    assert states()[1] == "queued"  # waits for the end of quiet hours
    assert replies(tmp_path, keeper) == [] and replies(tmp_path, sleeper) == ["urgent alert"]


def test_a_reply_to_an_alert_is_linked_to_it(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    daemon, emulator = gateway
    daemon.subscribers.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    made = daemon.alerts.create("Silver Subaru KX19 ABC towards Docking", ["DOCKING"], by="op1")
    wait_for(
        lambda: replies(tmp_path) == ["Silver Subaru KX19 ABC towards Docking"], 10, "the alert"
    )
    wait_for(lambda: daemon.alerts.progress(made.ref)["queued"] == 0, 5, "the alert sent")
    emulator.inject(FARMER, "Saw it 5 minutes ago by the church")
    wait_for(lambda: len(daemon.alerts.replies(made.ref)) == 1, 10, "the reply linked")
    [(sender, text, _)] = daemon.alerts.replies(made.ref)
    assert (sender, text) == (FARMER, "Saw it 5 minutes ago by the church")


def test_stop_email_by_text_stops_the_emails_only_and_stop_says_emails_go_on(
    gateway: tuple[Daemon, Emulator], tmp_path: Path, engine: Engine
) -> None:
    """Each channel its own STOP (issue 16): STOP EMAIL leaves texts on; a texted STOP
    leaves emails on and says so, with the words to end them too."""
    daemon, emulator = gateway
    subs = daemon.subscribers
    subs.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    subs.set_email(FARMER, "tom@example.org", channel="both")
    docking = [subs.require_list("DOCKING").id]
    assert [r.email for r in subs.email_recipients(docking)] == ["tom@example.org"]
    answer = text(emulator, tmp_path, "STOP", 1)
    assert "no more alerts" in answer and "STOP EMAIL" in answer
    assert subs.recipients(docking) == []
    assert [r.email for r in subs.email_recipients(docking)] == ["tom@example.org"]
    assert text(emulator, tmp_path, "stop emails please", 2) == (
        "You will get no more alert emails. Texts are unchanged."
    )
    assert subs.email_recipients(docking) == []
    assert "again" in text(emulator, tmp_path, "START EMAIL", 3)
    assert [r.email for r in subs.email_recipients(docking)] == ["tom@example.org"]
    with engine.connect() as conn:
        actions = conn.execute(
            select(Consent.action, Consent.method).where(Consent.method == "sms")
        ).all()
    assert actions == [("stop", "sms"), ("stop-email", "sms"), ("start-email", "sms")]
