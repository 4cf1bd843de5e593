"""`smsgw doctor`: the checks someone looking after the gateway would make, each one saying
what to do about what it found. Doctor only looks, with one exception: it offers a locked
SIM the configured PIN, as the gateway does at start, and records a refusal so that it does
not offer that PIN again until the config changes (three wrong tries lock the SIM behind its
PUK).

A failed check makes doctor exit 1. A warning (something doctor could not find out, such as
whether the clock is synchronised in a container without systemd) does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import migrate
from gateway.core.config import Config
from gateway.core.db import make_engine, sqlite_path
from gateway.doctor import modem as doctor_modem
from gateway.doctor.channels import channel_checks
from gateway.doctor.check import Check, command, fail, ok, warn
from gateway.doctor.numbers import number_checks
from gateway.doctor.webhooks import webhook_checks
from gateway.inbox import troubles
from gateway.inbox.store import ROUTE_ATTEMPTS

MIN_FREE = 200_000_000  # bytes; SQLite needs room for its WAL and to grow
MIN_FREE_SHARE = 0.05  # and an SD card slows down and wears faster when nearly full
EARLIEST_YEAR = 2025  # a Pi has no battery clock: before its first sync it lives in the past
TIMEDATECTL = ("timedatectl", "show", "-p", "NTPSynchronized", "--value")
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")  # systemd-timesyncd's "synced"

_AS_GATEWAY = "run doctor as the gateway's user: `sudo -u smsgw smsgw doctor`"

Synchronised = Callable[[], tuple[bool | None, str]]


def run(config: Config) -> Iterator[Check]:
    """Every check, in the order a person would look; yielded as found, since a modem
    probe takes seconds."""
    yield ok("config", f"{config.path} ({_count(len(config.modems), 'modem')})")
    yield console_check(config)
    yield from number_checks(config)
    engine, found = database_checks(config)
    yield from found
    try:
        if not config.modems and not config.providers:
            yield fail("modems", "none configured", f"add a [[modem]] table to {config.path}")
        elif not config.modems:
            yield warn(
                "modems",
                "none configured: texts go only by the hosted service, and nobody can text in",
                f"add a [[modem]] table to {config.path}",
            )
        for settings in config.modems:
            yield from doctor_modem.checks(config, settings, engine)
        yield from webhook_checks(config, engine)
    finally:
        if engine is not None:
            engine.dispose()
    yield from channel_checks(config)
    yield disk_check(config)
    yield clock_check(ZoneInfo(config.gateway.timezone))


def console_check(config: Config) -> Check:
    """The config loader refuses a short key; an empty one works, but badly."""
    if not config.web.secret_key:
        return warn(
            "console",
            "web.secret_key is empty: a new key at each start signs everyone out of "
            "the console whenever the gateway restarts",
            f"set web.secret_key in {config.path} to the output of "
            "`python3 -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    return ok("console", "web.secret_key set: sessions survive a restart")


def database_checks(config: Config) -> tuple[Engine | None, list[Check]]:
    """Reachable, at the newest schema and, for SQLite, a file the gateway can use. The
    engine is for the modem checks (the gateway's records), None if unusable."""
    url = config.database.url
    path = sqlite_path(url)
    where = f"SQLite at {path}" if path else make_url(url).render_as_string(hide_password=True)
    if path is not None and not os.path.exists(path):
        return None, [_missing(config, path)]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            journal = str(conn.execute(text("PRAGMA journal_mode")).scalar()) if path else ""
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        advice = (
            "if the file is damaged, restore a backup (docs/backup.md)"
            if path
            else f"check database.url in {config.path} and that the server is running"
        )
        return None, [fail("database", f"cannot use {where}: {reason}", advice)]
    found = [ok("database", f"{where} answers"), schema_check(config, engine)]
    if path is not None:
        found.append(sqlite_file_check(path, journal))
    if found[1].ok:
        found.append(troubles_check(config, engine))
    return engine, found


def _missing(config: Config, path: str) -> Check:
    directory = os.path.dirname(path)
    if os.path.isdir(directory) and not os.access(directory, os.R_OK | os.X_OK):
        return fail("database", f"cannot look into {directory}", _AS_GATEWAY)
    create = command(config, "db upgrade")
    return fail("database", f"no database at {path}", f"run {create} to create it")


def schema_check(config: Config, engine: Engine) -> Check:
    current, head = migrate.current(engine), migrate.head(engine)
    if current == head:
        return ok("database schema", f"at {head}, the newest")
    found = f"at {current}, not the newest ({head})" if current else "no schema yet"
    return fail("database schema", found, f"run {command(config, 'db upgrade')}")


def troubles_check(config: Config, engine: Engine) -> Check:
    """Texts and messages the gateway kept but could not finish: never lost, but a person
    has to look (a text whose routing gave up may be a sighting nobody was told of)."""
    found = troubles.count(engine)
    name = "kept messages"
    look = "look at the console's inbox (Needs a look) and the daemon's log"
    if found.unrouted:
        return fail(
            name,
            f"{_count(found.unrouted, 'received text')} not routed after "
            f"{ROUTE_ATTEMPTS} tries: a sighting may not have been filed or forwarded",
            look,
        )
    if found.kept or found.parked:
        return warn(
            name,
            f"{_count(found.kept, 'PDU')} kept unread, "
            f"{_count(found.parked, 'outbound message')} parked after an internal error",
            look,
        )
    altered = f"; {found.altered} stored with characters replaced" if found.altered else ""
    return ok(name, f"every received text routed, nothing parked{altered}")


def sqlite_file_check(path: str, journal: str) -> Check:
    name = "database file"
    directory = os.path.dirname(path)
    if not (os.access(path, os.W_OK) and os.access(directory, os.W_OK)):
        return fail(
            name,
            f"{path} or its directory is not writable by this user",
            f"{_AS_GATEWAY}; if that fails too: `sudo chown -R smsgw:smsgw {directory}`",
        )
    if journal.lower() != "wal":
        return fail(
            name,
            f"journal mode is {journal}, not wal: the console and the daemon would block "
            "each other",
            "keep the database on a local disk (not a network share) that supports WAL",
        )
    return ok(name, f"WAL, writable, {_size(os.path.getsize(path))}")


def disk_check(
    config: Config, min_free: int = MIN_FREE, min_share: float = MIN_FREE_SHARE
) -> Check:
    path = sqlite_path(config.database.url)
    if path is None:
        return ok("disk", "the database is on a PostgreSQL server: check its disk there")
    directory = Path(path).parent
    while not directory.exists():  # before `db upgrade` the directory may not exist yet
        directory = directory.parent
    usage = shutil.disk_usage(directory)
    share = usage.free / usage.total if usage.total else 0.0
    found = f"{_size(usage.free)} free of {_size(usage.total)} ({share:.0%}) at {directory}"
    if usage.free < min_free or share < min_share:
        return fail(
            "disk",
            f"only {found}",
            "delete old backups, `sudo journalctl --vacuum-size=100M`, `sudo apt clean`; "
            "the gateway stops sending when the disk is full",
        )
    return ok("disk", found)


def clock_check(
    zone: ZoneInfo, now: datetime | None = None, synchronised: Synchronised | None = None
) -> Check:
    now = now or datetime.now(UTC)
    shown = now.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
    set_ntp = "`sudo timedatectl set-ntp true`, and let the Pi reach the internet (NTP)"
    if now.year < EARLIEST_YEAR:
        return fail("clock", f"the clock says {shown}", f"set the time: {set_ntp}")
    synced, how = (synchronised or ntp_synchronised)()
    if synced is None:
        return warn("clock", f"{shown}; cannot tell whether it is synchronised ({how})")
    if not synced:
        return fail("clock", f"{shown}, not synchronised ({how})", set_ntp)
    return ok("clock", f"{shown}, synchronised ({how})")


def ntp_synchronised(
    command_line: tuple[str, ...] = TIMEDATECTL, flag: Path = TIMESYNC_FLAG
) -> tuple[bool | None, str]:
    """Whether the system clock is synchronised, and who said so; None when nobody can
    say (no systemd, as in a container)."""
    try:
        done = subprocess.run(command_line, capture_output=True, text=True, timeout=5)
        answer = done.stdout.strip() if done.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        answer = ""
    if answer in ("yes", "no"):
        return answer == "yes", "timedatectl"
    if flag.exists():
        return True, str(flag)
    return None, f"timedatectl does not answer and there is no {flag}"


def _size(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
