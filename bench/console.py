"""Console response times with a month of a busy force's data (issue 7's target: p95
under 150 ms for the dashboard, the sightings and the subscribers pages).

The real console (waitress, 8 threads) serves a seeded SQLite file; an operator logs in
over HTTP and fetches each page 100 times, one request at a time, after a warm-up. The
time is the whole request as a browser's network panel shows it: connect, render, read.
"""

from __future__ import annotations

import http.cookiejar
import re
import statistics
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.procs import BenchError
from bench.report import Row
from bench.seed import MESSAGES, SIGHTINGS, SUBSCRIBERS, Seeded, seed
from gateway.core import config as config_mod
from gateway.core import migrate
from gateway.core.db import make_engine
from web import create_app
from web.server import ConsoleServer

PAGES = (("dashboard", "/"), ("sightings", "/sightings/"), ("subscribers", "/subscribers/"))
REQUESTS = 100
WARM_UP = 5
P95_TARGET = 150.0  # ms
PASSWORD = "bench-console-password"


class Client:
    """An operator's browser, as far as timing needs one: a cookie jar and a login."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base + path, timeout=30) as resp:
            return resp.status, resp.url, resp.read().decode()

    def login(self, username: str, password: str) -> None:
        _, _, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise BenchError("no CSRF token on the login page")
        form = {"username": username, "password": password, "csrf_token": token.group(1)}
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=30) as resp:
            if urllib.parse.urlsplit(resp.url).path != "/":
                raise BenchError(f"login as {username} failed: ended on {resp.url}")

    def timed(self, path: str) -> float:
        """Milliseconds for one GET; a redirect (to /login) or an error is a failure."""
        started = time.perf_counter()
        status, url, _ = self.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200 or urllib.parse.urlsplit(url).path != path:
            raise BenchError(f"GET {path}: {status} at {url}")
        return elapsed


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def run(workdir: Path) -> list[Row]:
    db_url = f"sqlite:///{workdir / 'smsgw.db'}"
    engine = make_engine(db_url)
    started = time.perf_counter()
    migrate.upgrade(engine)
    seeded = seed(engine, PASSWORD)
    seed_s = time.perf_counter() - started
    wanted = (SUBSCRIBERS, MESSAGES, SIGHTINGS)
    if (seeded.subscribers, seeded.messages, seeded.sightings) != wanted:
        raise BenchError(f"the seed came out wrong: {seeded}")
    cfg = config_mod.from_dict({"database": {"url": db_url}, "gateway": {"node": "bench"}})
    server = ConsoleServer(create_app(cfg, engine=engine), "127.0.0.1", 0)
    server.start()
    try:
        client = Client(server.url)
        client.login("operator1", PASSWORD)
        for _, path in PAGES:
            for _ in range(WARM_UP):
                client.timed(path)
        times = {path: [client.timed(path) for _ in range(REQUESTS)] for _, path in PAGES}
    finally:
        server.stop()
        engine.dispose()
    return [_seed_row(seeded, seed_s)] + [
        row for name, path in PAGES for row in _rows(name, path, times[path])
    ]


def _seed_row(seeded: Seeded, seconds: float) -> Row:
    return Row(
        "console.seed",
        "console: seed the database (bulk inserts)",
        seconds,
        "s",
        note=(
            f"{seeded.subscribers} subscribers, {seeded.messages} messages, "
            f"{seeded.sightings} sightings ({seeded.open_sightings} open, "
            f"{seeded.hot_sightings} hot)"
        ),
    )


def _rows(name: str, path: str, samples: list[float]) -> list[Row]:
    tail = p95(samples)
    return [
        Row(
            f"console.{name}.median",
            f"console: {name} page ({path}), median",
            statistics.median(samples),
            "ms",
            note=f"{len(samples)} GETs as an operator, after {WARM_UP} to warm up",
        ),
        Row(
            f"console.{name}.p95",
            f"console: {name} page ({path}), p95",
            tail,
            "ms",
            note=f"slowest {max(samples):.0f} ms",
            target=f"< {P95_TARGET:.0f} ms",
            ok=tail < P95_TARGET,
        ),
    ]
