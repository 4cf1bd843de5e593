"""Talking to systemd: readiness, the watchdog and a status line (sd_notify).

The protocol is one datagram to the socket in $NOTIFY_SOCKET, so it is done here with
the standard library rather than a dependency. Outside systemd every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(*fields: str) -> bool:
    """Send "KEY=value" fields; False when not run by systemd or the socket is gone."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address or not fields:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(fields).encode())
    except OSError as exc:
        log.warning("could not notify systemd at %s: %s", address, exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings (half of WatchdogSec), or None without a watchdog."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


def ready(status: str) -> bool:
    return notify("READY=1", f"STATUS={status}")


def stopping() -> bool:
    return notify("STOPPING=1")


def alive(status: str) -> bool:
    """The watchdog ping: call only after checking that the gateway really works."""
    return notify("WATCHDOG=1", f"STATUS={status}")
