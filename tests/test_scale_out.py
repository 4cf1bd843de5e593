"""Three gateways, two emulated modems each, one PostgreSQL: 3,000 messages, one gateway
killed with `kill -9` half-way. Every message arrives; only what the dead gateway had in
flight (one per modem) may arrive twice; its scheduler lead passes to a survivor."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import Counter
from pathlib import Path

from drama import mobile
from pg import PgServer
from procs import SMSGW, stop, wait_for

from gateway.core.config import OutboxConfig
from gateway.core.db import make_engine
from gateway.core.migrate import upgrade
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox

MESSAGES = 3000
LEASE = 4.0  # seconds: how long the dead gateway's claims wait before others take them


def write_config(tmp: Path, url: str, node: str) -> Path:
    modems = "".join(
        f'[[modem]]\nname = "{node}-m{i}"\ndriver = "emulator"\nsend_latency = 0.02\n'
        f'log = "{tmp / f"{node}-m{i}.jsonl"}"\nmax_recipients_per_day = 0\n\n'
        for i in (1, 2)
    )
    path = tmp / f"{node}.toml"
    path.write_text(
        f'[database]\nurl = "{url}"\n\n[gateway]\nnode = "{node}"\n\n{modems}'
        f"[outbox]\npoll_interval = 0.5\nstatus_reports = false\nlease = {LEASE}\n"
        "retry_base = 0.2\nretry_max = 1.0\n"
    )
    return path


def sent(tmp: Path) -> Counter[str]:
    texts: Counter[str] = Counter()
    for log in tmp.glob("*.jsonl"):
        texts.update(json.loads(x)["text"] for x in log.read_text().splitlines() if x.strip())
    return texts


def test_a_gateway_killed_mid_run_loses_nothing_to_the_others(
    tmp_path: Path, pg_server: PgServer
) -> None:
    url = pg_server.new_database()
    engine = make_engine(url)
    upgrade(engine)
    gateways: dict[str, subprocess.Popen[bytes]] = {}
    for node in ("north", "west", "south"):
        with (tmp_path / f"{node}.log").open("wb") as out:
            gateways[node] = subprocess.Popen(
                [*SMSGW, "daemon", "--config", str(write_config(tmp_path, url, node))],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
    outbox = Outbox(engine, OutboxConfig(), "test")
    try:
        # Every modem of every gateway ready first: on a busy machine a gateway still
        # starting when the others have sent half would take no share (seen in CI).
        wait_for(
            lambda: sum(m.state == "ready" for m in modem_status.all_modems(engine)) == 6,
            60,
            "the six modems to be ready",
        )
        outbox.enqueue_many(
            [(mobile(i), f"Alert {i:04d}: silver Subaru KX19 ABC") for i in range(MESSAGES)],
            "bulk",
            ids=False,
        )
        wait_for(lambda: sum(sent(tmp_path).values()) >= MESSAGES // 2, 90, "half the sends")
        stop(gateways["north"], signal.SIGKILL)
        wait_for(lambda: outbox.counts()["sent"] == MESSAGES, 120, "every message sent")
    finally:
        for proc in gateways.values():
            stop(proc)
        engine.dispose()
    texts = sent(tmp_path)
    assert set(texts) == {f"Alert {i:04d}: silver Subaru KX19 ABC" for i in range(MESSAGES)}
    repeated = {t: n for t, n in texts.items() if n > 1}
    assert len(repeated) <= 2 and all(n == 2 for n in repeated.values()), repeated
    by_node = Counter(
        log.name.split("-")[0]
        for log in tmp_path.glob("*.jsonl")
        for _ in log.read_text().splitlines()
    )
    assert set(by_node) == {"north", "west", "south"}  # all three took a share
    survivors = (tmp_path / "west.log").read_text() + (tmp_path / "south.log").read_text()
    # What north held went back to the queue after its lease, which only the leader does:
    # if north led, a survivor took over.
    assert "past their lease queued again" in survivors
    assert "this gateway runs the scheduled jobs" in survivors
