"""The power-cut filesystem itself: unsynced writes die at a cut, synced ones live, the mount
is coherent between processes (read/write and MAP_SHARED), and SQLite in WAL mode keeps a
commit across a cut with synchronous=FULL and loses it with NORMAL."""

from __future__ import annotations

import itertools
import mmap
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lazyfs import PAGE, LazyFS, Overlay, is_mounted


@pytest.fixture
def lazy(tmp_path: Path) -> Iterator[LazyFS]:
    fs = LazyFS(tmp_path / "backing", tmp_path / "mnt")
    with fs:
        yield fs
    assert not is_mounted(fs.mountpoint)


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    """A process that runs `code`, prints one line when done, then waits to be killed."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line, f"child exited with {proc.wait()}"
    return line


def _kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL and reap: after wait() none of its writes can still reach the filesystem."""
    proc.kill()
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            stream.close()


@pytest.mark.parametrize("seed", range(6))
def test_overlay_matches_a_byte_model(tmp_path: Path, seed: int) -> None:
    """Random writes, truncations, syncs and cuts against two bytearrays: what a reader
    sees, and what is durable."""
    rng = random.Random(seed)
    initial = rng.randbytes(rng.randrange(0, 3 * PAGE))
    path = tmp_path / "f"
    path.write_bytes(initial)
    fd = os.open(path, os.O_RDWR)
    try:
        seen, durable = bytearray(initial), bytes(initial)
        ov = Overlay(len(initial))
        for _ in range(300):
            op = rng.choices(["write", "truncate", "sync", "cut"], [10, 3, 2, 1])[0]
            if op == "write":
                off = rng.randrange(0, len(seen) + 2 * PAGE)
                data = rng.randbytes(rng.choice([1, 5, PAGE - 1, PAGE, PAGE + 3, 3 * PAGE]))
                ov.write(fd, off, data)
                seen.extend(bytes(max(0, off - len(seen))))
                seen[off : off + len(data)] = data
            elif op == "truncate":
                n = rng.randrange(0, len(seen) + 2 * PAGE)
                ov.truncate(n)
                seen = seen[:n] + bytes(max(0, n - len(seen)))
            elif op == "sync":
                ov.flush(fd, datasync=rng.random() < 0.5)
                durable = bytes(seen)
                assert path.read_bytes() == durable
            else:
                ov = Overlay(os.fstat(fd).st_size)
                seen = bytearray(durable)
            assert ov.size == len(seen)
            assert ov.read(fd, 0, len(seen) + PAGE) == seen
            off = rng.randrange(0, len(seen) + 1)
            n = rng.randrange(0, 2 * PAGE)
            assert ov.read(fd, off, n) == seen[off : off + n]
            assert path.read_bytes() == durable  # nothing reaches the backing file unsynced
    finally:
        os.close(fd)


def test_a_cut_keeps_what_was_fsynced_and_drops_the_rest(lazy: LazyFS) -> None:
    mnt, backing = lazy.mountpoint, lazy.backing
    synced = mnt / "synced"
    with synced.open("wb") as f:
        f.write(b"A" * 5000)
        f.flush()
        os.fsync(f.fileno())
        f.seek(100)
        f.write(b"B" * 10000)  # overwrites and extends, unsynced
    shrunk = mnt / "shrunk"
    with shrunk.open("wb") as f:
        f.write(b"C" * 9000)
        f.flush()
        os.fdatasync(f.fileno())
        os.ftruncate(f.fileno(), 10)  # a truncation is a change to the contents too
    never = mnt / "never"
    never.write_bytes(b"D" * 123)
    rewritten = mnt / "rewritten"
    with rewritten.open("wb") as f:
        f.write(b"X" * 50)
        f.flush()
        os.fsync(f.fileno())
    rewritten.write_bytes(b"Y")  # O_TRUNC, unsynced
    with (mnt / "old-name").open("wb") as f:
        f.write(b"M" * 10)
        f.flush()
        os.fsync(f.fileno())
        f.write(b"N" * 10)
    (mnt / "old-name").rename(mnt / "new-name")  # the name moves at once, the data waits

    assert synced.read_bytes() == b"A" * 100 + b"B" * 10000
    assert shrunk.stat().st_size == 10
    assert never.read_bytes() == b"D" * 123
    assert (backing / "synced").read_bytes() == b"A" * 5000  # held in memory until now
    assert rewritten.read_bytes() == b"Y"
    assert (mnt / "new-name").read_bytes() == b"M" * 10 + b"N" * 10
    assert lazy.stats().fsyncs == {"synced": 1, "shrunk": 1, "rewritten": 1, "old-name": 1}

    dropped = lazy.cut()

    assert dropped == {  # bytes of data dropped; 0: only the size had changed
        "synced": 10100,
        "shrunk": 0,
        "never": 123,
        "rewritten": 1,
        "new-name": 20,
    }
    assert rewritten.read_bytes() == b"X" * 50
    assert not (mnt / "old-name").exists()
    assert (mnt / "new-name").read_bytes() == b"M" * 10
    assert synced.read_bytes() == b"A" * 5000
    assert synced.stat().st_size == 5000
    assert shrunk.read_bytes() == b"C" * 9000
    assert never.exists()  # names are durable at once, contents are not
    assert never.read_bytes() == b""
    # the mount works on after the cut
    with never.open("r+b") as f:
        f.write(b"E" * 7)
        f.flush()
        os.fsync(f.fileno())
    assert lazy.cut() == {}
    assert never.read_bytes() == b"E" * 7
    assert lazy.stats().cuts == 2


def test_a_write_from_another_process_is_seen_at_once(lazy: LazyFS) -> None:
    path = lazy.mountpoint / "shared"
    path.write_bytes(b"x" * 100)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.pread(fd, 200, 0) == b"x" * 100
        writer = _child(
            "import os, sys\n"
            "fd = os.open(sys.argv[1], os.O_WRONLY)\n"
            "os.pwrite(fd, b'from the child', 90)\n"
            "print('written', flush=True)\n"
            "sys.stdin.read()\n",
            str(path),
        )
        try:
            _ready(writer)
            # the same descriptor, no sync: no cache of the first read may hide the write
            assert os.pread(fd, 200, 0) == b"x" * 90 + b"from the child"
            assert os.fstat(fd).st_size == 104
        finally:
            _kill(writer)
        lazy.cut()
        assert os.pread(fd, 200, 0) == b""  # never synced: back to the empty file created
        assert os.fstat(fd).st_size == 0
    finally:
        os.close(fd)


def test_shared_mmap_is_coherent_and_msync_is_its_fsync(lazy: LazyFS) -> None:
    """`*-shm` files go through the page cache (MAP_SHARED needs it): two mappings in two
    processes share the bytes, and a cut must still reach the pages a live mapping holds."""
    path = lazy.mountpoint / "db-shm"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.ftruncate(fd, 4 * PAGE)
    os.fsync(fd)
    m = mmap.mmap(fd, 4 * PAGE)
    try:
        m[0:6] = b"synced"
        m.flush()  # msync(MS_SYNC): writes the page back and fsyncs
        m[PAGE : PAGE + 4] = b"lost"
        other = _child(
            "import mmap, os, sys\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "m = mmap.mmap(fd, 4 * 4096)\n"
            "seen = bytes(m[4096:4100])\n"
            "m[3 * 4096:3 * 4096 + 5] = b'child'\n"
            "print(seen.decode(), flush=True)\n"
            "sys.stdin.read()\n",
            str(path),
        )
        try:
            assert _ready(other) == "lost"  # the parent's unsynced store, seen by the child
            assert m[3 * PAGE : 3 * PAGE + 5] == b"child"
        finally:
            _kill(other)
        m[2 * PAGE : 2 * PAGE + 5] = b"dirty"  # still only in the page cache at the cut

        dropped = lazy.cut()

        assert dropped["db-shm"] > 0
        assert m[0:6] == b"synced"
        assert m[PAGE : PAGE + 4] == bytes(4)
        assert m[2 * PAGE : 2 * PAGE + 5] == bytes(5)
        assert m[3 * PAGE : 3 * PAGE + 5] == bytes(5)
        assert os.pread(fd, 6, 0) == b"synced"
    finally:
        m.close()
        os.close(fd)


COMMIT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=" + sys.argv[2])
db.execute("INSERT INTO t (v) VALUES (?)", (sys.argv[3],))
print("committed", flush=True)
sys.stdin.read()  # killed here, the connection never closed
"""


def _make_db(path: Path) -> None:
    """A WAL database whose table is durable: checkpointed, synced, WAL gone."""
    db = sqlite3.connect(path, isolation_level=None)
    assert db.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    db.execute("INSERT INTO t (v) VALUES ('setup')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _rows(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [str(r[0]) for r in db.execute("SELECT v FROM t ORDER BY id")]
    finally:
        db.close()


@dataclass
class Crash:
    wal_syncs: int  # fsyncs of the WAL while the child committed
    wal_unsynced: int  # bytes of the WAL only in memory once the commit returned
    dropped: dict[str, int]  # what the cut dropped


def _commit_then_crash(lazy: LazyFS, path: Path, synchronous: str, value: str) -> Crash:
    """Commit `value` in a child, check another process sees it, SIGKILL the child, cut."""
    wal_syncs = lazy.stats().fsyncs.get("gw.db-wal", 0)
    writer = _child(COMMIT, str(path), synchronous, value)
    try:
        assert _ready(writer) == "committed"
        reader = sqlite3.connect(path)  # closes before the writer: so no checkpoint
        try:
            last = reader.execute("SELECT v FROM t ORDER BY id DESC LIMIT 1").fetchone()
            assert last == (value,)
        finally:
            reader.close()
        stats = lazy.stats()
    finally:
        _kill(writer)
    return Crash(
        wal_syncs=stats.fsyncs.get("gw.db-wal", 0) - wal_syncs,
        wal_unsynced=stats.unsynced.get("gw.db-wal", 0),
        dropped=lazy.cut(),
    )


ROUNDS = 4
FRAME = 24 + 4096  # a WAL frame: its header and one page


def test_sqlite_wal_synchronous_full_keeps_a_commit_across_a_cut(lazy: LazyFS) -> None:
    path = lazy.mountpoint / "gw.db"
    _make_db(path)
    for i in range(ROUNDS):
        crash = _commit_then_crash(lazy, path, "FULL", f"full-{i}")
        assert crash.wal_syncs >= 1
        assert crash.wal_unsynced == 0  # the commit fsynced its frames
        assert "gw.db-wal" not in crash.dropped
        assert _rows(path) == ["setup"] + [f"full-{j}" for j in range(i + 1)]


def test_sqlite_wal_synchronous_normal_loses_the_last_commit_at_a_cut(lazy: LazyFS) -> None:
    """The commit returns with its frames written but not fsynced (NORMAL syncs the WAL only
    at checkpoints, and the header of a new WAL): the cut takes the row."""
    path = lazy.mountpoint / "gw.db"
    _make_db(path)
    for i in range(ROUNDS):
        crash = _commit_then_crash(lazy, path, "NORMAL", f"normal-{i}")
        assert crash.wal_unsynced >= FRAME
        assert crash.dropped["gw.db-wal"] == crash.wal_unsynced
        assert _rows(path) == ["setup"]


INSERT_MANY = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("PRAGMA synchronous=NORMAL")
print("ready", flush=True)
sys.stdin.readline()  # both start together
for i in range(int(sys.argv[3])):
    with db:
        db.execute("BEGIN IMMEDIATE")
        n = db.execute("SELECT count(*) FROM t").fetchone()[0]
        db.execute("INSERT INTO t (v) VALUES (?)", (f"{sys.argv[2]}-{n}",))
    time.sleep(0.002)  # let the other writer in
db.close()
print("done", flush=True)
"""


def test_sqlite_wal_writers_in_two_processes_stay_coherent(lazy: LazyFS) -> None:
    """Both writers read the count and insert in one transaction: the WAL index in the
    shared -shm mapping and the locks must agree between them, or rows go missing, the
    counts repeat or the file breaks."""
    path = lazy.mountpoint / "gw.db"
    _make_db(path)
    n = 100
    writers = [_child(INSERT_MANY, str(path), name, str(n)) for name in ("a", "b")]
    try:
        assert [_ready(w) for w in writers] == ["ready", "ready"]
        for w in writers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        assert [_ready(w) for w in writers] == ["done", "done"]
    finally:
        for w in writers:
            _kill(w)
    rows = _rows(path)
    assert len(rows) == 1 + 2 * n
    assert sorted(int(r.split("-")[1]) for r in rows[1:]) == list(range(1, 2 * n + 1))
    switches = sum(a[0] != b[0] for a, b in itertools.pairwise(rows[1:]))
    assert switches >= 10  # they did take turns (nearly every transaction, here)


def test_unmounts_even_with_a_file_held_open_and_an_error_raised(tmp_path: Path) -> None:
    holder: subprocess.Popen[str] | None = None
    with pytest.raises(ZeroDivisionError), LazyFS(tmp_path / "b", tmp_path / "m") as fs:
        (fs.mountpoint / "f").write_bytes(b"x")
        holder = _child(
            "import sys\nf = open(sys.argv[1], 'rb')\nprint('open', flush=True)\n"
            "sys.stdin.read()\n",
            str(fs.mountpoint / "f"),
        )
        _ready(holder)
        _ = 1 / 0
    assert holder is not None
    try:
        assert not is_mounted(tmp_path / "m")
    finally:
        _kill(holder)
