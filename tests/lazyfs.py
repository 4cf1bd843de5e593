"""A FUSE filesystem that loses, at a simulated power cut, every write not yet fsynced.

In the spirit of LazyFS (Jepsen): the mount passes names through to a backing directory, but
file *contents* written through it are held in memory, one overlay per file (per backing
inode), until that file is fsynced or fdatasynced; only then are they written to the backing
file (and `os.fsync`ed there). `LazyFS.cut()` is the power cut: every overlay is dropped and
the mount shows exactly what the backing directory holds.

What is durable when:
- data written with write(), and size changes (ftruncate, O_TRUNC, writes past the end):
  only after an fsync/fdatasync of that file, through any descriptor of it (as on a real
  file system, a sync flushes the whole inode, whoever wrote it). close() makes nothing
  durable. The model is the harshest crash, not a likely one: nothing unsynced survives,
  no write is torn or reordered, a sync is atomic.
- names and metadata (create, unlink, rename, mkdir, rmdir, chmod, chown, utimens):
  immediately, straight on the backing directory. SQLite's durability questions are about
  file contents, and directory fsyncs are accepted as no-ops.

Kernel caching must not hide a cut. Files are opened with FOPEN_DIRECT_IO, so every read
and write reaches this process and no page cache holds them; attributes and names are not
cached (attr_timeout, entry_timeout, negative_timeout are 0). A direct-I/O file cannot be
mmapped MAP_SHARED on this libfuse (3.14 lacks FUSE_DIRECT_IO_ALLOW_MMAP), so files whose
name matches a `page_cache` pattern (by default SQLite's `*-shm`) use the kernel page cache
instead: processes that map them share the same kernel pages, so they stay coherent while
mounted (POSIX locks are left to the kernel, which is also coherent between processes).
Their dirty pages reach the overlay by writeback, msync or close, so an msync(MS_SYNC) is
their fsync. At a cut the kernel is told to drop every cached page and attribute of the
files this process knows (fuse_invalidate_path), once before the overlays are dropped
(which writes dirty mmap pages back, so they are dropped too) and once after.

The mount survives a cut: processes that still hold files open keep their descriptors and
see the durable contents from then on; a restarted program opens the same mountpoint.
Limits: kill (and reap) the programs before cut() if the cut is to model a crash of the
whole machine, since a live process that writes after the cut is writing after the power
came back; the backing directory must not be changed behind the mount's back while it is
mounted; unsynced data is held in memory (fine for test databases, not for gigabytes);
hard links, symlinks, xattrs and fallocate are not offered (glibc's posix_fallocate falls
back to writing zeros); mtimes do not move on writes that are still in memory. An open
file that is unlinked becomes libfuse's `.fuse_hidden*` until it is closed.

The filesystem runs in a child process (this file run as a script), so that any process,
the test process included, can use the mount without sharing a GIL with the handlers. The
parent talks to it over a socketpair; if the parent dies, the child unmounts itself, and
libfuse's auto_unmount unmounts if the child dies.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fnmatch
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self

PAGE = 4096
DEFAULT_PAGE_CACHE = ("*-shm",)


class Overlay:
    """One file's unsynced contents, over the backing file.

    Invariants: `base <= size`; backing bytes below `base` show through where no page is
    held, everything else not held reads as zeros (a truncation hides the backing tail even
    if the file grows again); bytes of a held page past `size` are zero.
    """

    def __init__(self, size: int) -> None:
        self.size = size  # the size seen through the mount
        self.synced = size  # the backing file's size
        self.base = size
        self.pages: dict[int, bytearray] = {}

    @property
    def dirty(self) -> bool:
        return bool(self.pages) or self.size != self.synced or self.base != self.synced

    def pending(self) -> int:
        """Bytes of written data a cut would drop now."""
        return sum(max(0, min(PAGE, self.size - i * PAGE)) for i in self.pages)

    def _base(self, fd: int, off: int, n: int) -> bytes:
        lim = min(off + n, self.base)
        data = _pread_full(fd, lim - off, off) if lim > off else b""
        return data + bytes(n - len(data))

    def read(self, fd: int, off: int, n: int) -> bytes:
        end = min(off + n, self.size)
        if off >= end:
            return b""
        if not self.pages:
            return self._base(fd, off, end - off)
        out = bytearray()
        pos = off
        while pos < end:
            idx = pos // PAGE
            page = self.pages.get(idx)
            if page is not None:
                stop = min(end, (idx + 1) * PAGE)
                out += page[pos - idx * PAGE : stop - idx * PAGE]
            else:  # one pread for the whole run of pages not held
                nxt = idx + 1
                while nxt * PAGE < end and nxt not in self.pages:
                    nxt += 1
                stop = min(end, nxt * PAGE)
                out += self._base(fd, pos, stop - pos)
            pos = stop
        return bytes(out)

    def write(self, fd: int, off: int, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            idx, inpage = divmod(off + pos, PAGE)
            chunk = min(len(data) - pos, PAGE - inpage)
            page = self.pages.get(idx)
            if page is None and chunk == PAGE:
                self.pages[idx] = bytearray(data[pos : pos + PAGE])
            else:
                if page is None:  # a partial page: start from what it reads as now
                    page = self.pages[idx] = bytearray(self._base(fd, idx * PAGE, PAGE))
                page[inpage : inpage + chunk] = data[pos : pos + chunk]
            pos += chunk
        self.size = max(self.size, off + len(data))

    def truncate(self, n: int) -> None:
        if n < self.size:
            for idx in [i for i in self.pages if i * PAGE >= n]:
                del self.pages[idx]
            tail = self.pages.get(n // PAGE)
            if tail is not None:
                tail[n % PAGE :] = bytes(PAGE - n % PAGE)
            self.base = min(self.base, n)
        self.size = n

    def flush(self, fd: int, datasync: bool) -> None:
        """Make the overlay the backing file's contents, durably, and empty it."""
        if self.base < self.synced:
            os.ftruncate(fd, self.base)
        for idx in sorted(self.pages):
            length = min(PAGE, self.size - idx * PAGE)
            if length > 0:
                _pwrite_full(fd, memoryview(self.pages[idx])[:length], idx * PAGE)
        if os.fstat(fd).st_size != self.size:
            os.ftruncate(fd, self.size)
        (os.fdatasync if datasync else os.fsync)(fd)
        self.pages.clear()
        self.synced = self.base = self.size


def _pread_full(fd: int, n: int, off: int) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        got = os.pread(fd, n, off)
        if not got:
            break
        parts.append(got)
        n -= len(got)
        off += len(got)
    return b"".join(parts)


def _pwrite_full(fd: int, data: memoryview, off: int) -> None:
    while data:
        done = os.pwrite(fd, data, off)
        data = data[done:]
        off += done


@dataclass
class Stats:
    """Counters since the mount, keyed by path relative to the mount root as it was at the
    call (a file unlinked while open counts under its `.fuse_hidden*` name)."""

    fsyncs: dict[str, int] = field(default_factory=dict)  # fsync and fdatasync calls
    writes: dict[str, int] = field(default_factory=dict)  # write requests
    unsynced: dict[str, int] = field(default_factory=dict)  # bytes a cut would drop now
    cuts: int = 0


# ---------------------------------------------------------------- the child: the filesystem


class _FileInfo(Protocol):
    """The fields of libfuse's struct fuse_file_info that the handlers use."""

    flags: int
    fh: int
    direct_io: int
    keep_cache: int


class _Node:
    """A backing inode seen through the mount: the descriptor the overlay reads and flushes
    through, kept while the file is open or holds unsynced data."""

    def __init__(self, fd: int, path: str, cached: bool) -> None:
        self.fd = fd
        self.path = path
        self.cached = cached
        self.refs = 0
        self.ov = Overlay(os.fstat(fd).st_size)


def _dirent(st: os.stat_result) -> dict[str, int]:
    return {"st_ino": st.st_ino, "st_mode": st.st_mode}


_STAT_KEYS = ("st_mode", "st_ino", "st_nlink", "st_uid", "st_gid", "st_rdev", "st_blksize")


class _LazyOps:
    """mfusepy operations (raw_fi mode: handlers get struct fuse_file_info, not fh)."""

    use_ns = True  # times as integer nanoseconds

    def __init__(self, backing: Path, page_cache: Sequence[str], libfuse: Any) -> None:
        self._root = str(backing)
        self._page_cache = tuple(page_cache)
        self._lock = threading.Lock()
        self._nodes: dict[tuple[int, int], _Node] = {}
        self._handles: dict[int, _Node] = {}
        self._next_fh = 1
        self._cached_paths: set[str] = set()  # every path opened through the page cache
        self._stats = Stats()
        self._libfuse = libfuse
        self._fuse: int | None = None
        self._on_init: list[Callable[[], None]] = []

    # ---- helpers

    def _real(self, path: str) -> str:
        return self._root + path

    def _node_at(self, path: str) -> _Node | None:
        st = os.lstat(self._real(path))
        return self._nodes.get((st.st_dev, st.st_ino))

    def _forget(self, node: _Node) -> None:
        st = os.fstat(node.fd)
        self._nodes.pop((st.st_dev, st.st_ino), None)
        os.close(node.fd)

    def _maybe_forget(self, node: _Node) -> None:
        if node.refs == 0 and (not node.ov.dirty or os.fstat(node.fd).st_nlink == 0):
            self._forget(node)

    def _open_node(self, path: str, fd: int) -> _Node:
        st = os.fstat(fd)
        node = self._nodes.get((st.st_dev, st.st_ino))
        if node is None:
            cached = any(fnmatch.fnmatch(os.path.basename(path), p) for p in self._page_cache)
            node = self._nodes[(st.st_dev, st.st_ino)] = _Node(fd, path, cached)
        else:
            os.close(fd)
            node.path = path
        return node

    def _handle(self, node: _Node, fi: _FileInfo) -> None:
        node.refs += 1
        fh = self._next_fh
        self._next_fh += 1
        self._handles[fh] = node
        fi.fh = fh
        if node.cached:
            self._cached_paths.add(node.path)
            fi.direct_io, fi.keep_cache = 0, 1  # invalidated explicitly at a cut
        else:
            fi.direct_io, fi.keep_cache = 1, 0
        if fi.flags & os.O_TRUNC:
            node.ov.truncate(0)

    def _bump(self, counter: dict[str, int], node: _Node) -> None:
        name = node.path.lstrip("/")
        counter[name] = counter.get(name, 0) + 1

    # ---- lifecycle

    def init(self, path: str) -> None:
        self._fuse = self._libfuse.fuse_get_context().contents.fuse
        for callback in self._on_init:
            callback()

    def invalidate(self) -> None:
        """Drop the kernel's cached pages and attributes of every file known here.

        Must run without `lock`: dropping a dirty page writes it back through `write`."""
        if self._fuse is None:
            return
        with self._lock:
            paths = self._cached_paths | {n.path for n in self._nodes.values()}
        for path in paths:
            self._libfuse.fuse_invalidate_path(self._fuse, path.encode())  # -ENOENT: not cached

    def cut(self) -> dict[str, int]:
        self.invalidate()
        dropped: dict[str, int] = {}
        with self._lock:
            for node in list(self._nodes.values()):
                if node.ov.dirty:
                    dropped[node.path.lstrip("/")] = node.ov.pending()
                if node.refs == 0:
                    self._forget(node)
                else:
                    node.ov = Overlay(os.fstat(node.fd).st_size)
            self._stats.cuts += 1
        self.invalidate()
        return dropped

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            unsynced = {
                n.path.lstrip("/"): n.ov.pending() for n in self._nodes.values() if n.ov.dirty
            }
            return {
                "fsyncs": dict(self._stats.fsyncs),
                "writes": dict(self._stats.writes),
                "unsynced": unsynced,
                "cuts": self._stats.cuts,
            }

    # ---- files

    def getattr(self, path: str | None, fi: _FileInfo | None = None) -> dict[str, int]:
        with self._lock:
            node: _Node | None
            if fi is not None and fi.fh in self._handles:
                node = self._handles[fi.fh]
                st = os.fstat(node.fd)
            elif path is not None:
                st = os.lstat(self._real(path))
                node = self._nodes.get((st.st_dev, st.st_ino))
            else:
                raise OSError(errno.EBADF, "no path and no handle")
            attrs = {k: int(getattr(st, k)) for k in _STAT_KEYS}
            attrs["st_size"], attrs["st_blocks"] = st.st_size, st.st_blocks
            attrs["st_atime"], attrs["st_mtime"] = st.st_atime_ns, st.st_mtime_ns
            attrs["st_ctime"] = st.st_ctime_ns
            if node is not None and node.ov.dirty:
                attrs["st_size"] = node.ov.size
                attrs["st_blocks"] = (node.ov.size + 511) // 512
            return attrs

    def open(self, path: str, fi: _FileInfo) -> int:
        fd = os.open(self._real(path), os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        with self._lock:
            self._handle(self._open_node(path, fd), fi)
        return 0

    def create(self, path: str, mode: int, fi: _FileInfo) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | (fi.flags & os.O_EXCL)
        fd = os.open(self._real(path), flags, mode)
        with self._lock:
            self._handle(self._open_node(path, fd), fi)
        return 0

    def read(self, path: str | None, size: int, offset: int, fi: _FileInfo) -> bytes:
        with self._lock:
            node = self._handles[fi.fh]
            return node.ov.read(node.fd, offset, size)

    def write(self, path: str | None, data: bytes, offset: int, fi: _FileInfo) -> int:
        with self._lock:
            node = self._handles[fi.fh]
            node.ov.write(node.fd, offset, data)
            self._bump(self._stats.writes, node)
        return len(data)

    def truncate(self, path: str | None, length: int, fi: _FileInfo | None = None) -> int:
        with self._lock:
            if fi is not None and fi.fh in self._handles:
                node = self._handles[fi.fh]
            elif path is not None:
                found = self._node_at(path)
                if found is None:  # a truncate by name of a file not open
                    fd = os.open(self._real(path), os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
                    found = self._open_node(path, fd)
                node = found
            else:
                raise OSError(errno.EBADF, "no path and no handle")
            node.ov.truncate(length)
            self._maybe_forget(node)
        return 0

    def fsync(self, path: str | None, datasync: int, fi: _FileInfo) -> int:
        with self._lock:
            node = self._handles[fi.fh]
            node.ov.flush(node.fd, bool(datasync))
            self._bump(self._stats.fsyncs, node)
        return 0

    def flush(self, path: str | None, fi: _FileInfo) -> int:
        return 0  # close() is not a sync

    def release(self, path: str | None, fi: _FileInfo) -> int:
        with self._lock:
            node = self._handles.pop(fi.fh)
            node.refs -= 1
            self._maybe_forget(node)
        return 0

    # ---- names and metadata: straight to the backing directory, so durable at once

    def unlink(self, path: str) -> int:
        with self._lock:
            node = self._node_at(path)
            os.unlink(self._real(path))
            if node is not None:
                self._maybe_forget(node)
            self._cached_paths.discard(path)
        return 0

    def rename(self, old: str, new: str) -> int:
        with self._lock:
            victim = None
            with contextlib.suppress(FileNotFoundError):
                victim = self._node_at(new)
            os.rename(self._real(old), self._real(new))

            def moved(p: str) -> str:
                return new + p[len(old) :] if p == old or p.startswith(old + "/") else p

            for node in self._nodes.values():
                node.path = moved(node.path)
            self._cached_paths = {moved(p) for p in self._cached_paths}
            if victim is not None and victim.path == new:
                self._maybe_forget(victim)
        return 0

    def mkdir(self, path: str, mode: int) -> int:
        os.mkdir(self._real(path), mode)
        return 0

    def rmdir(self, path: str) -> int:
        os.rmdir(self._real(path))
        return 0

    def chmod(self, path: str | None, mode: int) -> int:
        if path is None:
            raise OSError(errno.EBADF, "no path")
        os.chmod(self._real(path), mode)
        return 0

    def chown(self, path: str | None, uid: int, gid: int) -> int:
        if path is None:
            raise OSError(errno.EBADF, "no path")
        os.chown(self._real(path), uid, gid, follow_symlinks=False)
        return 0

    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        if path is None:
            raise OSError(errno.EBADF, "no path")
        if times is None:
            os.utime(self._real(path), follow_symlinks=False)
        else:
            os.utime(self._real(path), ns=times, follow_symlinks=False)
        return 0

    def readdir(self, path: str, fh: int) -> list[tuple[str, dict[str, int], int]]:
        """With use_ino the entries need their inode numbers: readdir(3) skips d_ino 0."""
        real = self._real(path)
        here, up = os.lstat(real), os.lstat(os.path.join(real, ".."))
        out = [(".", _dirent(here), 0), ("..", _dirent(up), 0)]
        with os.scandir(real) as entries:
            for e in entries:
                with contextlib.suppress(FileNotFoundError):
                    out.append((e.name, _dirent(e.stat(follow_symlinks=False)), 0))
        return out

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        return 0  # directory operations are durable already

    def statfs(self, path: str) -> dict[str, int]:
        sv = os.statvfs(self._real(path))
        keys = ("f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree")
        return {k: int(getattr(sv, k)) for k in (*keys, "f_favail", "f_namemax")}


def _serve(backing: Path, mountpoint: Path, page_cache: Sequence[str], control_fd: int) -> None:
    os.environ.setdefault("FUSE_LIBRARY_NAME", "fuse3")  # mfusepy would take libfuse2 first
    import mfusepy

    logging.basicConfig(level=logging.WARNING, format="lazyfs: %(levelname)s %(message)s")
    libfuse = mfusepy._libfuse
    libfuse.fuse_invalidate_path.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    libfuse.fuse_invalidate_path.restype = ctypes.c_int
    ops = _LazyOps(backing, page_cache, libfuse)
    sock = socket.socket(fileno=control_fd)
    send_lock = threading.Lock()

    def send(msg: dict[str, Any]) -> None:
        with send_lock:
            sock.sendall(json.dumps(msg).encode() + b"\n")

    def control() -> None:
        """Answer the parent; if it goes away, unmount (SIGTERM makes libfuse do it)."""
        try:
            for line in sock.makefile("rb"):
                req = json.loads(line)
                try:
                    if req["op"] == "cut":
                        send({"ok": True, "dropped": ops.cut()})
                    elif req["op"] == "stats":
                        send({"ok": True, "stats": ops.snapshot()})
                    else:
                        send({"ok": False, "error": f"unknown op {req['op']!r}"})
                except Exception as e:
                    logging.exception("control request %r failed", req)
                    send({"ok": False, "error": repr(e)})
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    def ready() -> None:
        threading.Thread(target=control, name="lazyfs-control", daemon=True).start()
        send({"ready": True})

    ops._on_init.append(ready)
    mfusepy.FUSE(
        ops,
        str(mountpoint),
        raw_fi=True,
        foreground=True,
        fsname="lazyfs",  # not the path: a comma in it would split the -o list
        subtype="lazyfs",
        auto_unmount=True,
        use_ino=True,
        attr_timeout=0,
        entry_timeout=0,
        negative_timeout=0,
    )


# ---------------------------------------------------------------- the parent: the API


def is_mounted(path: Path) -> bool:
    """From the mount table, since stat() on a mount whose server died fails (ENOTCONN)."""
    target = os.path.realpath(path)
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            where = line.split()[1]
            for esc, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
                where = where.replace(esc, ch)
            if where == target:
                return True
    return False


class LazyFSError(RuntimeError):
    pass


class LazyFS:
    """Mounts `backing` at `mountpoint` as a lazy filesystem while in the `with` block.

    `page_cache`: basename patterns of files served through the kernel page cache (so
    MAP_SHARED works) rather than direct I/O; see the module docstring.
    """

    def __init__(
        self,
        backing: Path,
        mountpoint: Path,
        *,
        page_cache: Sequence[str] = DEFAULT_PAGE_CACHE,
        mount_timeout: float = 15.0,
    ) -> None:
        self.backing = Path(backing).resolve()
        self.mountpoint = Path(mountpoint).resolve()
        self._page_cache = tuple(page_cache)
        self.mount_timeout = mount_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._reader: IO[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._final_log = ""
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self.mount()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unmount()

    @property
    def log(self) -> str:
        """What the filesystem process printed (libfuse and handler errors)."""
        if self._log is None:
            return self._final_log
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def mount(self) -> None:
        if self._proc is not None:
            raise LazyFSError("already mounted")
        if is_mounted(self.mountpoint):
            raise LazyFSError(f"{self.mountpoint} is already a mount point")
        if shutil.which("fusermount3") is None or not os.path.exists("/dev/fuse"):
            raise LazyFSError("lazyfs needs FUSE 3: the Debian packages fuse3 and libfuse3-3")
        self.backing.mkdir(parents=True, exist_ok=True)
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._log = tempfile.TemporaryFile(prefix="lazyfs-log-")  # noqa: SIM115 closed by unmount
        cmd = [sys.executable, str(Path(__file__).resolve()), "--control-fd", str(child.fileno())]
        for pattern in self._page_cache:
            cmd += ["--page-cache", pattern]
        cmd += [str(self.backing), str(self.mountpoint)]
        try:
            self._proc = subprocess.Popen(
                cmd,
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
            )
        finally:
            child.close()
        self._sock = parent
        self._reader = parent.makefile("rb")
        try:
            parent.settimeout(self.mount_timeout)
            first = self._reader.readline()
            parent.settimeout(None)
            if json.loads(first or b"{}").get("ready") is not True or not is_mounted(
                self.mountpoint
            ):
                raise LazyFSError(f"lazyfs did not mount: {first!r}")
        except BaseException as e:
            log = self.log
            self.unmount()
            raise LazyFSError(f"lazyfs did not mount at {self.mountpoint}:\n{log}") from e

    def _request(self, op: str) -> dict[str, Any]:
        with self._lock:
            if self._sock is None or self._reader is None:
                raise LazyFSError("not mounted")
            self._sock.sendall(json.dumps({"op": op}).encode() + b"\n")
            line = self._reader.readline()
        if not line:
            raise LazyFSError(f"lazyfs went away:\n{self.log}")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise LazyFSError(f"lazyfs {op} failed: {reply.get('error')}")
        return reply

    def cut(self) -> dict[str, int]:
        """Power cut: drop every unsynced write; the mount stays up on the durable state.

        Returns the files that had unsynced changes, with the bytes of written data dropped
        (0 for a file whose only unsynced change was its size)."""
        dropped: dict[str, int] = self._request("cut")["dropped"]
        return dropped

    def stats(self) -> Stats:
        s = self._request("stats")["stats"]
        return Stats(fsyncs=s["fsyncs"], writes=s["writes"], unsynced=s["unsynced"], cuts=s["cuts"])

    def unmount(self) -> None:
        """Unmount (lazily if something still holds files open) and end the child."""
        proc, self._proc = self._proc, None
        if proc is not None:
            done = False
            if proc.poll() is None and is_mounted(self.mountpoint):
                done = _fusermount("-u", self.mountpoint)
                if not done:  # busy: detach now, let the child serve what is still open
                    _fusermount("-u", "-z", self.mountpoint)
            try:
                proc.wait(timeout=5 if done else 0.5)
            except subprocess.TimeoutExpired:
                proc.terminate()  # libfuse's handler exits its loop and unmounts
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._log is not None:
            self._final_log = self.log
            self._log.close()
            self._log = None
        deadline = time.monotonic() + 5
        while is_mounted(self.mountpoint) and time.monotonic() < deadline:
            _fusermount("-u", "-z", self.mountpoint)  # a crashed child's mount
            time.sleep(0.05)
        if is_mounted(self.mountpoint):
            raise LazyFSError(f"{self.mountpoint} is still mounted")


def _fusermount(*args: str | Path) -> bool:
    res = subprocess.run(
        ["fusermount3", *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True
    )
    return res.returncode == 0


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="the lazyfs server (started by LazyFS)")
    ap.add_argument("--control-fd", type=int, required=True)
    ap.add_argument("--page-cache", action="append", default=[])
    ap.add_argument("backing", type=Path)
    ap.add_argument("mountpoint", type=Path)
    args = ap.parse_args(argv)
    _serve(args.backing, args.mountpoint, args.page_cache, args.control_fd)


if __name__ == "__main__":
    main()
