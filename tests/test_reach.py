"""How an alert's SMS recipients are split between the SIMs and an overflow service
(gateway/alerts/reach.py), from what the modems reported and what the config says."""

from __future__ import annotations

from sqlalchemy import Engine

from gateway.alerts.reach import Reach, Share
from gateway.core import config as config_mod
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox

PROVIDER = {
    "name": "fastsms",
    "kind": "fastsms",
    "token_file": "/x",
    "sender": "Police",
    "use": "overflow",
}


def reach(engine: Engine, db_url: str, **provider: object) -> Reach:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "modem": [{"name": "e1", "driver": "emulator", "max_recipients_per_day": 300}],
            "provider": [{**PROVIDER, **provider}],
        }
    )
    return Reach(engine, cfg)


def test_without_a_provider_every_recipient_waits_for_the_sims(engine: Engine, db_url: str) -> None:
    cfg = config_mod.from_dict({"database": {"url": db_url}})
    assert Reach(engine, cfg).split(800) == [Share("sim", 800)]


def test_a_modem_not_heard_from_yet_has_its_configured_room_less_the_duty_reserve(
    engine: Engine, db_url: str
) -> None:
    assert reach(engine, db_url).split(800) == [Share("sim", 290), Share("fastsms", 510)]


def test_a_modem_that_has_just_started_and_shows_no_figures_is_not_unlimited(
    engine: Engine, db_url: str
) -> None:
    modem_status.record(engine, "e1", "test", state="ready")  # no day_left, recipients_left
    assert reach(engine, db_url).split(800) == [Share("sim", 290), Share("fastsms", 510)]


def test_what_a_modem_reported_is_its_room(engine: Engine, db_url: str) -> None:
    modem_status.record(engine, "e1", "test", state="ready", recipients_left=110)
    assert reach(engine, db_url).split(800) == [Share("sim", 100), Share("fastsms", 700)]
    modem_status.record(engine, "e1", "test", state="disconnected", recipients_left=110)
    assert reach(engine, db_url).split(800) == [Share("fastsms", 800)]


def test_a_daily_cap_on_the_service_leaves_the_rest_to_the_sims(
    engine: Engine, db_url: str
) -> None:
    Outbox(engine, config_mod.OutboxConfig(), "test").enqueue_many(
        [("+447700900001", "earlier")] * 20, "urgent", channel="fastsms"
    )
    split = reach(engine, db_url, max_per_day=100).split(800)
    assert split == [Share("sim", 290), Share("fastsms", 80), Share("sim", 430)]
