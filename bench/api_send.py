"""From `POST /api/v1/messages` to `sent`: the real console (waitress) and a daemon on the
emulator over one SQLite file, as `smsgw run` hosts them (one set of services, so a message
the console queues wakes the modem's worker at once); an API token from the token service;
one message at a time, followed by polling `GET /api/v1/messages/<id>` every 10 ms. A
second row runs the console apart (`smsgw web` beside `smsgw daemon`), where the daemon
finds the message at its next outbox poll.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.request
from pathlib import Path

from sqlalchemy import Engine

from bench.procs import BenchError
from bench.report import Row
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import migrate, tokens, users
from gateway.core.db import make_engine
from web import create_app
from web.server import ConsoleServer

MESSAGES = 20
TO = "+447700900321"


def _call(base: str, token: str, path: str, body: object = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(base + path, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        answer: dict[str, object] = json.loads(resp.read())
    return answer


def run(workdir: Path) -> list[Row]:
    url = f"sqlite:///{workdir / 'smsgw.db'}"
    cfg = config_mod.from_dict(
        {
            "database": {"url": url},
            "gateway": {"node": "bench"},
            "modem": [{"name": "e1", "driver": "emulator", "log": str(workdir / "e.log")}],
        }
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    users.add(engine, "operator1", "bench-api-password", "operator")
    token = tokens.add(engine, "operator1", "bench")[1]
    shared = _measure(cfg, engine, token, together=True)
    apart = _measure(cfg, engine, token, together=False)
    return [
        Row(
            "api_send.to_sent",
            "API: POST /api/v1/messages to sent, console and daemon in one process (smsgw run)",
            statistics.median(shared),
            "ms",
            note=f"median of {MESSAGES}; min {min(shared):.0f}, max {max(shared):.0f} ms",
        ),
        Row(
            "api_send.to_sent_apart",
            "API: POST /api/v1/messages to sent, console and daemon apart (smsgw web + daemon)",
            statistics.median(apart),
            "ms",
            note=(
                f"median of {MESSAGES}; min {min(apart):.0f}, max {max(apart):.0f} ms; "
                f"the daemon's outbox poll is {cfg.outbox.poll_interval} s"
            ),
        ),
    ]


def _measure(cfg: config_mod.Config, engine: Engine, token: str, *, together: bool) -> list[float]:
    daemon = Daemon(cfg, engine=engine)
    app = create_app(cfg, engine=engine, services=daemon.services if together else None)
    server = ConsoleServer(app, "127.0.0.1", 0)
    server.start()
    daemon.start()
    times: list[float] = []
    try:
        for i in range(MESSAGES):
            started = time.perf_counter()
            made = _call(server.url, token, "/api/v1/messages", {"to": TO, "text": f"bench {i}"})
            deadline = started + 30
            while _call(server.url, token, f"/api/v1/messages/{made['id']}")["status"] not in (
                "sent",
                "delivered",
            ):
                if time.perf_counter() > deadline:
                    raise BenchError(f"message {made['id']} not sent in 30 s")
                time.sleep(0.01)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        daemon.stop()
        server.stop()
    return times
