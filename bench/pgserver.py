"""A throw-away PostgreSQL server: Debian's binaries, a new cluster on a loopback port,
deleted afterwards. The tests (tests/pg.py) and the benchmarks share it.

The cluster trades durability for speed (fsync off): what is measured and tested is the
gateway's behaviour on PostgreSQL, not the disks.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

_databases = itertools.count(1)


@dataclass
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = f"smsgw_test_{os.getpid()}_{next(_databases)}"
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        admin.dispose()
        return self.url(name)


def _bin_dir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name),
    )
    if not found:
        raise RuntimeError("PostgreSQL's server is not installed: `make test` installs it")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """A new cluster on a free loopback port, removed on exit."""
    bin_dir = _bin_dir()
    # PostgreSQL refuses to run as root, and CI runs as root: then it runs as `postgres`.
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    uid, gid = (owner.pw_uid, owner.pw_gid) if owner else (None, None)
    root = Path(tempfile.mkdtemp(prefix="smsgw-pg-"))
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = str(root / "data"), _free_port()
    initdb = [str(bin_dir / "initdb"), "-D", data, "-A", "trust", "-U", "smsgw", "-E", "UTF8"]
    subprocess.run([*initdb, "--no-sync"], check=True, capture_output=True, user=uid, group=gid)
    settings = {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": "300",
    }
    argv = [str(bin_dir / "postgres"), "-D", data, "-p", str(port), "-k", str(root)]
    for name, value in settings.items():
        argv += ["-c", f"{name}={value}"]
    with (root / "server.log").open("ab") as log:
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, user=uid, group=gid)
    pg = PgServer("127.0.0.1", port, "smsgw")
    deadline = time.monotonic() + 30
    probe = create_engine(pg.url(), poolclass=NullPool)
    while True:
        try:
            probe.connect().close()
            break
        except OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((root / "server.log").read_text()) from None
            time.sleep(0.1)
    try:
        yield pg
    finally:
        probe.dispose()
        _shut_down(server, root)


def _shut_down(server: subprocess.Popen[bytes], root: Path) -> None:
    server.send_signal(signal.SIGINT)  # fast shutdown: disconnect clients, stop
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    shutil.rmtree(root, ignore_errors=True)
