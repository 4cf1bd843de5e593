"""Real processes, a real pty, a real SQLite file: nothing is lost, nothing is sent twice
except the one message in flight when something died."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from procs import (
    handed_over,
    sent_texts,
    start_daemon,
    start_emulator,
    stop,
    wait_for,
    write_config,
)
from sqlalchemy import Engine

from gateway.core.config import OutboxConfig
from gateway.outbox.queue import Outbox

pytestmark = pytest.mark.slow


def queue(engine: Engine, n: int) -> list[str]:
    texts = [f"reliability message {i:04d}" for i in range(n)]
    outbox = Outbox(engine, OutboxConfig(), node="test")
    outbox.enqueue_many((f"+447700900{i % 1000:03d}", t) for i, t in enumerate(texts))
    return texts


def test_with_a_failure_every_tenth_send_all_arrive_exactly_once(
    tmp_path: Path, engine: Engine, db_url: str
) -> None:
    link, log = tmp_path / "modem", tmp_path / "emulator.log"
    emulator = start_emulator(link, log, "--fail-every", "10")
    texts = queue(engine, 200)
    daemon = start_daemon(write_config(tmp_path, db_url, link), tmp_path / "daemon.log")
    try:
        wait_for(lambda: len(sent_texts(log)) == 200, 60, "200 distinct messages at the emulator")
        wait_for(lambda: handed_over(Outbox(engine, OutboxConfig(), "t")) == 200, 10, "200 sent")
    finally:
        stop(daemon)
        stop(emulator)
    counts = sent_texts(log)
    assert set(counts) == set(texts)
    assert max(counts.values()) == 1
    assert "+CMS ERROR 38" in (tmp_path / "daemon.log").read_text()  # the failures did happen


def test_kill_9_mid_run_loses_nothing_and_repeats_at_most_the_one_in_flight(
    tmp_path: Path, engine: Engine, db_url: str
) -> None:
    link, log = tmp_path / "modem", tmp_path / "emulator.log"
    emulator = start_emulator(link, log, "--send-latency", "0.01")
    texts = queue(engine, 300)
    config = write_config(tmp_path, db_url, link)
    daemon = start_daemon(config, tmp_path / "daemon.log")
    try:
        wait_for(lambda: sum(sent_texts(log).values()) >= 100, 30, "a third of the run")
        stop(daemon, signal.SIGKILL)
        daemon = start_daemon(config, tmp_path / "daemon.log")
        wait_for(lambda: len(sent_texts(log)) == 300, 60, "all 300 at the emulator")
        wait_for(lambda: handed_over(Outbox(engine, OutboxConfig(), "t")) == 300, 10, "300 sent")
    finally:
        stop(daemon)
        stop(emulator)
    counts = sent_texts(log)
    assert set(counts) == set(texts)
    repeated = [t for t, n in counts.items() if n > 1]
    assert len(repeated) <= 1 and all(counts[t] == 2 for t in repeated)


def test_the_daemon_finds_its_modem_again_after_an_unplug(
    tmp_path: Path, engine: Engine, db_url: str
) -> None:
    link, log = tmp_path / "modem", tmp_path / "emulator.log"
    emulator = start_emulator(link, log, "--send-latency", "0.01")
    texts = queue(engine, 200)
    daemon = start_daemon(write_config(tmp_path, db_url, link), tmp_path / "daemon.log")
    try:
        wait_for(lambda: sum(sent_texts(log).values()) >= 60, 30, "a part of the run")
        stop(emulator)  # the "USB plug" is pulled: the pty and the link vanish
        assert len(sent_texts(log)) < 200
        emulator = start_emulator(link, log, "--send-latency", "0.01")
        wait_for(lambda: len(sent_texts(log)) == 200, 60, "all 200 after the re-plug")
        wait_for(lambda: handed_over(Outbox(engine, OutboxConfig(), "t")) == 200, 10, "200 sent")
    finally:
        stop(daemon)
        stop(emulator)
    counts = sent_texts(log)
    assert set(counts) == set(texts)
    assert sum(n - 1 for n in counts.values()) <= 1
