"""`smsgw doctor` for one modem: doctor's own probe of the port or, while the running
gateway holds the port, the health the gateway last recorded for it.

The daemon opens its port exclusively (a flock), so a busy port is the normal sight on a
working gateway, not a fault; fighting the daemon for the port would be one.
"""

from __future__ import annotations

import contextlib
import errno
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.core import clock
from gateway.core.config import Config, ModemConfig
from gateway.core.db import utcnow
from gateway.doctor.check import Check, fail, ok
from gateway.doctor.reading import CHECK_DAEMON, Reading, judge
from gateway.modems import status as modem_status
from gateway.modems.drivers import ask, prober
from hardware.at.commands import Timeouts
from hardware.errors import ModemError, PortLost

# Seconds. A healthy modem answers at once; these only bound how long a sick one holds
# doctor up. A modem just powered on may need a minute to register: doctor says so.
TIMEOUTS = Timeouts(default=3.0, sync=0.5, sim_ready=5.0, service_centre=3.0)
REGISTRATION_WAIT = 5.0
# The gateway records each modem every gateway.health_interval; a record older than this
# (or three intervals) means the daemon holding the port is stuck.
STALE_AFTER = timedelta(minutes=5)
BUSY = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EBUSY})
DENIED = frozenset({errno.EACCES, errno.EPERM})
_NOT_PLUGGED = "is the dongle plugged in? see `smsgw modem list`"


def checks(config: Config, settings: ModemConfig, engine: Engine | None) -> list[Check]:
    name = f"modem {settings.name}"
    if settings.driver == "emulator":
        return [ok(name, "emulated: the gateway runs it in its own process")]
    port = settings.port
    if port.startswith("/") and not os.path.exists(port):
        return [fail(name, f"no device at {port}", _NOT_PLUGGED)]
    record = _recorded(engine, settings.name)
    if record is not None and _refused_since_edit(config, record):
        return [
            fail(
                f"{name} SIM",
                f"the SIM refused the PIN (recorded at {record.updated_at:%Y-%m-%d %H:%M} UTC)",
                f"check modem.pin in {config.path}; after 3 wrong tries it needs the PUK "
                "(doctor offers the PIN again only once the config has changed)",
            )
        ]
    try:
        reading = probe(settings)
    except ImportError as exc:
        return [fail(name, f"driver 'gammu' needs {exc}", "pip install '.[gammu]'")]
    except ValueError as exc:  # a PIN that cannot be one
        return [fail(name, str(exc), f"set modem.pin in {config.path} to the SIM's PIN")]
    except PortLost as exc:
        return _unopened(config, settings, exc, record)
    except ModemError as exc:
        return [
            fail(
                name,
                f"{port} does not answer AT commands ({exc})",
                "unplug the dongle and plug it back in; if it still does not answer, "
                "the port may not be its AT interface: see `smsgw modem list`",
            )
        ]
    if reading.state == "pin-refused" and engine is not None:
        _remember_refusal(engine, config, settings, reading)
    return judge(config, settings, reading)


def probe(settings: ModemConfig) -> Reading:
    """Open the port and ask, as `smsgw modem probe` does; the port is closed again."""
    modem = prober(
        settings.driver,
        settings.port,
        name=f"{settings.name}-doctor",
        baudrate=settings.baudrate,
        pin=settings.pin,
        registration_timeout=REGISTRATION_WAIT,
        timeouts=TIMEOUTS,
    )
    got = ask(modem)
    ident, net = got.identity, got.network
    what = " ".join(x for x in (ident.manufacturer, ident.model) if x) or "a modem"
    imei = f", IMEI {ident.imei}" if ident.imei else ""
    return Reading(
        f"{what} on {settings.port}{imei}",
        got.state,
        got.problem,
        net.sim,
        net.registration,
        net.operator,
        net.rssi,
    )


def _unopened(
    config: Config, settings: ModemConfig, exc: PortLost, record: modem_status.ModemView | None
) -> list[Check]:
    name, port = f"modem {settings.name}", settings.port
    code = _errno(exc)
    if code in BUSY:
        return _in_use(config, settings, record)
    if code in DENIED:
        return [
            fail(
                name,
                f"no permission to open {port}",
                "run doctor as the gateway's user (`sudo -u smsgw smsgw doctor`), or add "
                "your user to the dialout group: `sudo usermod -aG dialout $USER`",
            )
        ]
    if code == errno.ENOENT:
        return [fail(name, f"no device at {port}", _NOT_PLUGGED)]
    return [fail(name, str(exc), f"check modem.port in {config.path}; see `smsgw modem list`")]


def _in_use(
    config: Config, settings: ModemConfig, record: modem_status.ModemView | None
) -> list[Check]:
    name, port = f"modem {settings.name}", settings.port
    if record is None:
        return [
            fail(
                name,
                f"{port} is in use by another program, and the gateway has no record of it",
                "stop that program (ModemManager takes dongles: "
                "`sudo systemctl disable --now ModemManager`); " + CHECK_DAEMON,
            )
        ]
    age = utcnow() - record.updated_at
    stale = max(STALE_AFTER, timedelta(seconds=3 * config.gateway.health_interval))
    if age > stale:
        return [
            fail(
                name,
                f"{port} is in use, but the gateway's last report of it is {_ago(age)} old",
                CHECK_DAEMON,
            )
        ]
    what = " ".join(x for x in (record.manufacturer, record.model) if x) or "the modem"
    reading = Reading(
        f"{what} on {port} is in use by the running gateway, which reported it "
        f"{record.state} {_ago(age)} ago",
        record.state,
        record.detail or record.last_error,
        record.sim,
        record.registration,
        record.operator,
        record.rssi,
    )
    return judge(config, settings, reading)


def _recorded(engine: Engine | None, name: str) -> modem_status.ModemView | None:
    if engine is None:
        return None
    try:
        views = modem_status.all_modems(engine)
    except SQLAlchemyError:  # the database check has said what is wrong with it
        return None
    return next((v for v in views if v.name == name), None)


def _remember_refusal(
    engine: Engine, config: Config, settings: ModemConfig, reading: Reading
) -> None:
    """Record the refusal as the gateway would, so the next doctor (or the console) knows."""
    with contextlib.suppress(SQLAlchemyError):  # an old schema: the schema check says so
        modem_status.record(
            engine,
            settings.name,
            config.node,
            state="pin-refused",
            detail=reading.problem,
            last_error=reading.problem,
            sim="pin-refused",
            port=settings.port,
        )


def _refused_since_edit(config: Config, record: modem_status.ModemView) -> bool:
    """The SIM refused the configured PIN and the config has not changed since: offering
    that PIN again would only use up one of the SIM's three tries."""
    if record.state != "pin-refused":
        return False
    try:
        stamp = os.stat(config.path).st_mtime
    except OSError:
        return True
    return record.updated_at > clock.naive_utc(datetime.fromtimestamp(stamp, UTC))


def _errno(exc: BaseException) -> int | None:
    """The OS error under a PortLost: the driver wraps pyserial's, which wraps the OS's."""
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "errno", None)
        if isinstance(code, int):
            return code
        seen = seen.__cause__
    return None


def _ago(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
