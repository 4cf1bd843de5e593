"""`smsgw demo`: the whole system on an emulated modem, with demo data and simulated
gamekeepers texting sightings now and then. Everything lives in one directory."""

from __future__ import annotations

import json
import logging
import random
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Protocol

from sqlalchemy import Engine

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import migrate, users
from gateway.core.config import Config
from gateway.core.db import utcnow
from gateway.rota.patrols import Patrols
from gateway.rota.service import Rota
from gateway.subscribers.service import Subscribers

log = logging.getLogger(__name__)

GAMEKEEPERS = [f"+4477009001{n:02d}" for n in range(10, 30)]
SIGHTINGS = [
    "Silver Subaru KX19 ABC parked by the gate at Bircham, 3 men with lurchers",
    "white transit van no lights heading towards Docking on the B1153",
    "2 dogs running hares in the field behind Church Farm, blue Pajero nearby",
    "Green L200 pickup, reg starts YR68, driving slowly along Sedgeford lane",
    "lamping on the estate again tonight, torch beams near Fring crossroads",
    "Black Shogun WU62 XPO seen at Stanhoe pond, 4 occupants",
]
DEMO_CONFIG = """\
[database]
url = "sqlite:///{db}"

[gateway]
country = "GB"
node = "demo"
number = "+447700900000"

[[modem]]
name = "emulated1"
driver = "emulator"
number = "+447700900000"
send_latency = 0.5
log = "{log}"
inject_dir = "{inject}"

[rota]
fallback_number = "+447700900999"
admin_number = "+447700900998"
"""


def write_config(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "inject").mkdir(exist_ok=True)
    path = directory / "config.toml"
    path.write_text(
        DEMO_CONFIG.format(
            db=(directory / "smsgw.db").resolve(),
            log=(directory / "emulator.log").resolve(),
            inject=(directory / "inject").resolve(),
        )
    )
    return path


def text_in(inject: Path, name: str, sender: str, text: str) -> None:
    """An SMS for the emulated modem to receive (written whole, then renamed into view)."""
    tmp = inject / f".{name}.tmp"
    tmp.write_text(json.dumps({"from": sender, "text": text}))
    tmp.rename(inject / f"{name}.json")


def simulate_gamekeepers(inject: Path, stop: threading.Event, every: float = 30.0) -> None:
    rng = random.Random()
    n = 0
    while not stop.wait(rng.uniform(every / 2, every * 1.5)):
        n += 1
        text = rng.choice(SIGHTINGS)
        text_in(inject, f"sighting-{n}", rng.choice(GAMEKEEPERS), text)
        log.info("simulated gamekeeper texted: %s", text)


DEMO_USERS = (("admin", "admin"), ("operator", "operator"), ("viewer", "viewer"))
DEMO_PASSWORD = "smsgw-demo"
DEMO_ALERT = (
    "Suspect vehicle: silver Subaru KX19 ABC seen near Docking. Do not approach; "
    "call 999 with what you see."
)


DEMO_LISTS = (
    ("Docking farms", "DOCKING"),
    ("West Norfolk gamekeepers", "WNKEEPERS"),
    ("Sedgeford estates", "SEDGEFORD"),
)
DEMO_NAMES = ("Tom Wright", "Sarah Bell", "Jim Howard", "Ann Cole", "Dave Reeve", "Kath Moss")


def add_demo_subscribers(subs: Subscribers) -> None:
    for name, keyword in DEMO_LISTS:
        subs.add_list(name, keyword)
    for n, number in enumerate(GAMEKEEPERS):
        keyword = DEMO_LISTS[n % len(DEMO_LISTS)][1]
        subs.join(
            number,
            keyword,
            name=DEMO_NAMES[n % len(DEMO_NAMES)],
            method="officer",
            by="demo",
            key_contact=n < len(DEMO_LISTS),
        )
        if n % 4 == 0:
            subs.join(number, "WNKEEPERS", method="qr")


def add_demo_rota(rota: Rota) -> None:
    """Two officers cover today and tomorrow, with a gap the rota page will show."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    day = rota.add_operator("PC Demo Day", "+447700900601", pin="4821")
    night = rota.add_operator("PC Demo Night", "+447700900602", pin="4821")
    rota.add_shift(day.id, now - timedelta(hours=2), now + timedelta(hours=10), by="demo")
    rota.add_shift(night.id, now + timedelta(hours=10), now + timedelta(hours=20), by="demo")
    rota.add_shift(
        night.id, now - timedelta(hours=2), now + timedelta(hours=6), role="backup", by="demo"
    )


DEMO_CHECK_IN = "PATROL GATE1 all quiet, silver Subaru KX19 ABC parked by the gate"


def add_demo_patrols(patrols: Patrols) -> None:
    """Two patrol points near Docking, so /patrols has QR codes, suggestions and, once PC
    Demo Day's check-in is routed, a visit linked to the sighting of the same plate."""
    patrols.add("GATE1", "Field gate, Docking road", "TF 783 385")
    patrols.add("LAY2", "Lay-by on the B1153", "TF 767 370")


def fresh_database(root: Path) -> None:
    for name in ("smsgw.db", "smsgw.db-wal", "smsgw.db-shm", "emulator.log"):
        (root / name).unlink(missing_ok=True)


class Console(Protocol):
    @property
    def url(self) -> str: ...

    def start(self) -> None: ...
    def stop(self) -> None: ...


# The console is web/'s, above gateway/: the command line hands the demo a way to make one.
ConsoleFactory = Callable[[Config, Engine, int], Console]


def run_demo(directory: str, port: int, console_for: ConsoleFactory, duration: float = 0.0) -> int:
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    fresh_database(root)
    config = config_mod.load(write_config(root))
    daemon = Daemon(config)
    migrate.upgrade(daemon.engine)
    for username, role in DEMO_USERS:
        users.add(daemon.engine, username, DEMO_PASSWORD, role)
    add_demo_subscribers(daemon.subscribers)
    add_demo_rota(daemon.rota)
    add_demo_patrols(Patrols(daemon.engine, config))
    console = console_for(config, daemon.engine, port)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.start()
    console.start()
    daemon.outbox.enqueue_many(
        [
            (n, "Demo: welcome to the rural crime alert service. Reply STOP to opt out.")
            for n in GAMEKEEPERS[:5]
        ],
        "bulk",
    )
    # Something on every page from the start: an alert going out, two sightings in.
    daemon.alerts.create(DEMO_ALERT, ["DOCKING"], by="admin")
    for n, (sender, text) in enumerate(zip(GAMEKEEPERS, SIGHTINGS[:2], strict=False)):
        text_in(root / "inject", f"first-{n}", sender, text)
    text_in(root / "inject", "check-in", "+447700900601", DEMO_CHECK_IN)  # PC Demo Day
    sim = threading.Thread(target=simulate_gamekeepers, args=(root / "inject", stop), daemon=True)
    sim.start()
    print(f"smsgw demo running in {root.resolve()} (config {root / 'config.toml'})", flush=True)
    print(
        f"console: {console.url}  login: admin / {DEMO_PASSWORD} "
        f"(also operator, viewer; same password)",
        flush=True,
    )
    print(
        f"emulated modem log: {root / 'emulator.log'}; try: smsgw status --config "
        f"{root / 'config.toml'}",
        flush=True,
    )
    deadline = time.monotonic() + duration if duration else None
    try:
        while not stop.wait(0.5):
            if deadline and time.monotonic() > deadline:
                break
    finally:
        stop.set()
        console.stop()
        daemon.stop()
    return 0
