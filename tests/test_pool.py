"""Several modems on one outbox, in this process, each on its own emulator and real pty."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from drama import mobile
from procs import handed_over, wait_for
from sqlalchemy import Engine, select

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.modems import status as modem_status
from gateway.modems.worker import LAST_MODEM_REST
from hardware.emulator import Emulator

ADMIN = "+447700900900"


def emulated(tmp_path: Path, name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "driver": "emulator", "log": str(tmp_path / f"{name}.log"), **extra}


def log_of(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    path = tmp_path / f"{name}.log"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def pool(
    tmp_path: Path, db_url: str, engine: Engine, request: pytest.FixtureRequest
) -> Iterator[Daemon]:
    modems = request.param(tmp_path)
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test", "admin_number": ADMIN, "health_interval": 0.2},
            "modem": modems,
            # attempts enough to outlast a modem failing for a few seconds
            "outbox": {
                "retry_base": 0.05,
                "retry_max": 0.2,
                "poll_interval": 0.05,
                "max_attempts": 200,
            },
        }
    )
    daemon = Daemon(cfg, engine=engine)
    daemon.start()
    yield daemon
    daemon.stop()


def two_healthy(tmp_path: Path) -> list[dict[str, Any]]:
    return [emulated(tmp_path, "a", send_latency=0.01), emulated(tmp_path, "b", send_latency=0.01)]


def one_failing(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        emulated(tmp_path, "bad", fail_every=1, rest_after_failures=3, rest_seconds=60),
        emulated(tmp_path, "good", send_latency=0.02),
    ]


def only_one_failing(tmp_path: Path) -> list[dict[str, Any]]:
    return [emulated(tmp_path, "only", fail_every=1, rest_after_failures=3, rest_seconds=600)]


def one_failing_and_one_to_go(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        emulated(tmp_path, "bad", fail_every=1, rest_after_failures=3, rest_seconds=600),
        emulated(tmp_path, "good", send_latency=0.02),
    ]


def modem_states(engine: Engine) -> dict[str, str]:
    return {m.name: m.state for m in modem_status.all_modems(engine)}


def emulator_of(daemon: Daemon, name: str) -> Emulator:
    [found] = [
        b.emulator for w, b in zip(daemon.workers, daemon.built, strict=True) if w.name == name
    ]
    assert found is not None
    return found


def one_with_a_small_budget(tmp_path: Path) -> list[dict[str, Any]]:
    return [
        emulated(tmp_path, "small", max_recipients_per_day=3),
        emulated(tmp_path, "big", send_latency=0.02),
    ]


@pytest.mark.parametrize("pool", [two_healthy], indirect=True)
def test_two_modems_share_the_work_and_each_message_goes_once(pool: Daemon, tmp_path: Path) -> None:
    texts = [f"pool {i}" for i in range(60)]
    # Both ready first: a modem still opening on a busy machine would leave the other all 60.
    wait_for(lambda: modem_states(pool.engine) == {"a": "ready", "b": "ready"}, 20, "both modems")
    pool.outbox.enqueue_many((f"+447700900{i:03d}", t) for i, t in enumerate(texts))
    wait_for(lambda: handed_over(pool.outbox) == 60, 20, "all 60")
    a, b = log_of(tmp_path, "a"), log_of(tmp_path, "b")
    assert sorted(e["text"] for e in a + b) == sorted(texts)
    assert len(a) > 10 and len(b) > 10  # both took a real share


@pytest.mark.parametrize("pool", [one_failing], indirect=True)
def test_a_failing_modem_is_rested_and_the_admin_told_by_a_healthy_one(
    pool: Daemon, tmp_path: Path, engine: Engine
) -> None:
    wait_for(lambda: modem_states(engine) == {"bad": "ready", "good": "ready"}, 10, "both ready")
    texts = [f"failover {i}" for i in range(20)]
    pool.outbox.enqueue_many((f"+447700900{i:03d}", t) for i, t in enumerate(texts))
    wait_for(lambda: handed_over(pool.outbox) == 21, 20, "all 20 and the admin's text")
    good = log_of(tmp_path, "good")
    assert Counter(e["text"] for e in good if e["to"] != ADMIN) == Counter(texts)
    [warning] = [e for e in good if e["to"] == ADMIN]
    assert "modem bad rested" in warning["text"]
    assert log_of(tmp_path, "bad") == []  # every try there failed; nothing was sent twice
    states = {m.name: m.state for m in modem_status.all_modems(engine)}
    assert states == {"bad": "resting", "good": "ready"}


@pytest.mark.parametrize("pool", [only_one_failing], indirect=True)
def test_the_last_modem_that_can_send_only_pauses_and_then_tells_the_admin_itself(
    pool: Daemon, tmp_path: Path, engine: Engine
) -> None:
    """rest_seconds is 600, but no other modem can send: a rest would silence the gateway,
    the admin's notice included, so the modem pauses at most LAST_MODEM_REST."""
    pool.outbox.enqueue_many([(mobile(i), f"alone {i}") for i in range(3)])
    wait_for(lambda: modem_states(engine) == {"only": "resting"}, 10, "the modem to rest")
    [modem] = modem_status.all_modems(engine)
    assert modem.resting_until is not None
    assert modem.resting_until <= utcnow() + timedelta(seconds=LAST_MODEM_REST + 1)
    emulator_of(pool, "only").faults.update(cms_error=None)  # the network is back
    wait_for(lambda: handed_over(pool.outbox) == 4, 20, "the 3 texts and the admin's notice")
    [notice] = [e["text"] for e in log_of(tmp_path, "only") if e["to"] == ADMIN]
    assert "modem only failing, and no other modem can send" in notice


@pytest.mark.parametrize("pool", [one_failing_and_one_to_go], indirect=True)
def test_a_resting_modem_comes_back_soon_when_the_others_can_no_longer_send(
    pool: Daemon, tmp_path: Path, engine: Engine
) -> None:
    wait_for(lambda: modem_states(engine) == {"bad": "ready", "good": "ready"}, 10, "both ready")
    pool.outbox.enqueue_many([(mobile(i), f"before {i}") for i in range(6)])
    wait_for(lambda: modem_states(engine)["bad"] == "resting", 10, "the failing modem to rest")
    wait_for(lambda: handed_over(pool.outbox) == 7, 10, "the texts and the notice, on good")
    emulator_of(pool, "bad").faults.update(cms_error=None)  # bad could send again ...
    emulator_of(pool, "good").faults.update(registration=0)  # ... and good loses the network
    wait_for(lambda: modem_states(engine)["good"] == "not-registered", 10, "good to drop out")
    pool.outbox.enqueue(mobile(50), "after")
    wait_for(lambda: handed_over(pool.outbox) == 8, 20, "the text, on bad, within seconds")
    assert [e["text"] for e in log_of(tmp_path, "bad")] == ["after"]


@pytest.mark.parametrize("pool", [one_with_a_small_budget], indirect=True)
def test_a_modem_at_its_recipient_limit_leaves_new_numbers_to_the_others(
    pool: Daemon, tmp_path: Path, engine: Engine
) -> None:
    pool.outbox.enqueue_many((f"+447700900{i:03d}", f"budget {i}") for i in range(30))
    wait_for(lambda: handed_over(pool.outbox) == 30, 20, "all 30")
    small = {e["to"] for e in log_of(tmp_path, "small")}
    assert 1 <= len(small) <= 3
    with engine.connect() as conn:
        by_modem = Counter(conn.scalars(select(Message.modem)).all())
    assert by_modem["small"] + by_modem["big"] == 30
    wait_for(
        lambda: (
            {m.name: m.recipients_left for m in modem_status.all_modems(engine)}["small"]
            is not None
        ),
        5,
        "the budget to be shown",
    )
