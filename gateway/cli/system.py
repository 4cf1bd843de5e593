"""daemon, run, web, demo, emulator, modem probe, db upgrade: running the gateway.

Each command imports what it runs when it runs (the daemon, the console, a driver):
`smsgw emulator`, which tests and benchmarks start by the dozen, loads none of the others.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from gateway.cli.common import fail, load_config, open_db, print_json
from gateway.core import migrate, systemd
from gateway.core.config import Config, ConfigError
from gateway.core.db import make_engine

PROBE_WAIT = 10.0  # seconds to wait for network registration while probing

if TYPE_CHECKING:
    from gateway.app.services import Services
    from web.server import ConsoleServer


def daemon(args: argparse.Namespace) -> int:
    from gateway.app.daemon import Daemon

    config = load_config(args)
    if not config.modems:
        return fail(f"{config.path}: no [[modem]] configured", 2)
    return Daemon(config).serve()


def run(args: argparse.Namespace) -> int:
    """Daemon and console in one process, sharing one engine (the Pi default)."""
    from gateway.app.daemon import Daemon

    config = load_config(args)
    if not config.modems:
        return fail(f"{config.path}: no [[modem]] configured", 2)
    gateway = Daemon(config)
    # One set of services: what the console queues wakes the modems at once.
    console = _console(config, gateway.engine, gateway.services)
    console.start()
    print(f"console on {console.url}", flush=True)
    try:
        return gateway.serve()
    finally:
        console.stop()


def web(args: argparse.Namespace) -> int:
    config = load_config(args)
    engine = open_db(config)
    console = _console(config, engine)
    print(f"console on {console.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    console.start()
    systemd.ready(f"console on {console.url}")
    stop.wait()
    systemd.stopping()
    console.stop()
    return 0


def _console(config: Config, engine: Engine, services: Services | None = None) -> ConsoleServer:
    # The one place gateway reaches up to web/: the command line hosts the console.
    from web import create_app
    from web.server import ConsoleServer, parse_listen

    try:
        host, port = parse_listen(config.web.listen)
    except ValueError as exc:
        raise ConfigError(f"{config.path}: {exc}") from None
    return ConsoleServer(create_app(config, engine=engine, services=services), host, port)


def demo(args: argparse.Namespace) -> int:
    from gateway.app.demo import run_demo

    def console_for(config: Config, engine: Engine, port: int) -> ConsoleServer:
        from web import create_app
        from web.server import ConsoleServer

        return ConsoleServer(create_app(config, engine=engine), "127.0.0.1", port)

    return run_demo(args.dir, args.port, console_for, duration=args.duration)


def emulator(args: argparse.Namespace) -> int:
    from hardware.emulator.cli import main as emulator_main

    return emulator_main(list(args.rest))


def modem_list(args: argparse.Namespace) -> int:
    from hardware.ports import find_modems

    ports = find_modems()
    if args.json:
        print_json([dataclasses.asdict(p) | {"usb_id": p.usb_id} for p in ports])
        return 0
    if not ports:
        print("no serial ports that look like a GSM modem")
    for p in ports:
        what = " ".join(x for x in (p.vendor, p.product, p.note) if x)
        print(f"{p.device}  [{p.match}] {p.usb_id or ''} {what}".rstrip())
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    config = load_config(args)
    engine = make_engine(config.database.url)
    try:
        print(f"database at revision {migrate.upgrade(engine)}")
    finally:
        engine.dispose()
    return 0


def probe(args: argparse.Namespace) -> int:
    from gateway.modems.drivers import ask, prober
    from hardware.errors import ModemError

    modem = prober(
        args.driver,
        args.port,
        name="probe",
        baudrate=args.baudrate,
        pin=args.pin,
        registration_timeout=PROBE_WAIT,
    )
    try:
        got = ask(modem)
    except ModemError as exc:
        return fail(f"{args.port}: {exc}")
    state, problem, ident, net = got.state, got.problem, got.identity, got.network
    info = {
        "port": args.port,
        "state": state,
        "problem": problem,
        **dataclasses.asdict(ident),
        "sim": net.sim,
        "registration": net.registration,
        "operator": net.operator,
        "rssi": net.rssi,
        "dbm": net.dbm,
        "bars": net.bars,
    }
    if args.json:
        print_json(info)
    else:
        for key, value in info.items():
            if value not in ("", None):
                print(f"{key:>13}: {value}")
    return 0 if state == "ready" else 1
