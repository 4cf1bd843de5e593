"""Beyond the SIMs' budgets: the whole daemon (an emulated modem on a pty, the channel
workers, the scheduler) with a hosted service stand-in over real HTTP.

- An alert to 800 with one SIM whose budget is 300 new numbers: the SIM takes what its
  budget allows today, the hosted service the rest at once, everyone exactly once, and the
  service's messages reach `delivered` (status asked for, as behind NAT).
- No modem at all and Twilio as the failover at 5 requests a second: 120 recipients, each
  reached once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastsms_standin import FastSmsStandin
from procs import wait_for
from sqlalchemy import Engine, func, select
from twilio_standin import ACCOUNT, TOKEN, TwilioStandin

from gateway.app.daemon import Daemon
from gateway.channels import polling, worker
from gateway.core import config as config_mod
from gateway.core.models import Message
from gateway.outbox.budget import DUTY_RESERVE

SIM_BUDGET = 300


def numbers(count: int) -> list[str]:
    return [f"+447700900{n:03d}" for n in range(100, 100 + count)]


def emulator_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def by_status(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.channel, Message.status, func.count()).group_by(
                Message.channel, Message.status
            )
        ).all()
    return {(channel, status): n for channel, status, n in rows}


def join_all(daemon: Daemon, people: list[str]) -> None:
    daemon.subscribers.add_list("Docking farms", "DOCKING")
    for n in people:
        daemon.subscribers.join(n, "DOCKING", method="officer", by="pc")


@pytest.fixture(autouse=True)
def quick_status_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ask the service about delivery every fraction of a second, not every 30 s."""
    monkeypatch.setattr(worker, "POLL_EVERY", 0.2)
    monkeypatch.setattr(worker, "POLL_BACKLOG", 0.05)
    monkeypatch.setattr(polling, "AGAIN_AFTER", 0.1)


@pytest.fixture
def fast() -> Iterator[FastSmsStandin]:
    with FastSmsStandin(token="tok", deliver_after=0.0) as standin:
        yield standin


def test_an_alert_past_the_sims_budget_goes_on_by_the_hosted_service(
    tmp_path: Path, db_url: str, engine: Engine, fast: FastSmsStandin
) -> None:
    (tmp_path / "fastsms.token").write_text("tok\n")
    log = tmp_path / "e.log"
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [
                {
                    "name": "e1",
                    "driver": "emulator",
                    "log": str(log),
                    "max_recipients_per_day": SIM_BUDGET,
                }
            ],
            "provider": [
                {
                    "name": "fastsms",
                    "kind": "fastsms",
                    "url": fast.url,
                    "token_file": str(tmp_path / "fastsms.token"),
                    "sender": "NorfolkPol",
                    "use": "overflow",
                    "max_per_second": 0,
                }
            ],
            "outbox": {"poll_interval": 0.05, "status_reports": False},
        }
    )
    people = numbers(800)
    daemon = Daemon(cfg, engine=engine)
    join_all(daemon, people)
    daemon.start()
    try:
        daemon.alerts.create("Silver Subaru KX19 ABC heading to Docking", ["DOCKING"], by="pc")
        wait_for(
            lambda: (
                by_status(engine).get(("fastsms", "delivered"), 0) >= 500
                and len(emulator_log(log)) >= SIM_BUDGET - DUTY_RESERVE
            ),
            60,
            "the SIM's share sent and the service's delivered",
        )
    finally:
        daemon.stop()
    by_sim = [e["to"] for e in emulator_log(log)]
    by_service = ["+" + m.destination for m in fast.made]
    assert len(by_sim) == SIM_BUDGET - DUTY_RESERVE  # the SIM's budget, less the officers'
    assert len(by_service) == 800 - len(by_sim)
    assert sorted(by_sim + by_service) == sorted(people)  # everyone, once
    assert fast.twice() == []
    counts = by_status(engine)
    assert counts.get(("fastsms", "delivered")) == len(by_service)
    assert counts.get(("sim", "sent")) == len(by_sim)


def test_with_no_modem_twilio_as_failover_reaches_everyone_once(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    (tmp_path / "twilio.token").write_text(TOKEN + "\n")
    with TwilioStandin(max_per_second=5.0, deliver_after=0.1) as twilio:
        cfg = config_mod.from_dict(
            {
                "database": {"url": db_url},
                "gateway": {"node": "test"},
                "provider": [
                    {
                        "name": "twilio",
                        "kind": "twilio",
                        "url": twilio.url,
                        "account": ACCOUNT,
                        "token_file": str(tmp_path / "twilio.token"),
                        "sender": "+447700900000",
                        "use": "failover",
                        "max_per_second": 5,
                    }
                ],
                "outbox": {"poll_interval": 0.05},
            }
        )
        people = numbers(120)
        daemon = Daemon(cfg, engine=engine)
        join_all(daemon, people)
        daemon.start()
        try:
            daemon.alerts.create("Gates left open on Docking Road", ["DOCKING"], by="pc")
            wait_for(
                lambda: by_status(engine).get(("twilio", "delivered"), 0) == 120,
                60,
                "all 120 delivered by Twilio",
            )
        finally:
            daemon.stop()
        made = [m.to for m in twilio.messages]
    assert sorted(made) == sorted(people)  # each once: none refused as too fast, none twice
    assert by_status(engine) == {("twilio", "delivered"): 120}


def test_messages_queued_for_a_service_taken_out_of_the_config_go_by_the_sims(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    log = tmp_path / "e.log"
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(log)}],
            "outbox": {"poll_interval": 0.05, "status_reports": False},
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.outbox.enqueue_many([("+447700900131", "Gates shut")], "urgent", channel="fastsms")
    daemon.start()
    try:
        wait_for(lambda: len(emulator_log(log)) == 1, 20, "the message sent by the SIM")
    finally:
        daemon.stop()
    assert by_status(engine) == {("sim", "sent"): 1}
