"""The emulated modem's device: a pseudo-terminal, optionally behind a stable symlink.

We do not keep the slave end open ourselves. While no client has it open the master
reports POLLHUP, which is how the emulator knows a client went away (the daemon
reconnecting, a test closing its port) and forgets its half-typed line, as a modem
whose USB port was closed would.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import tty

log = logging.getLogger(__name__)

WRITE_STALL = 1.0  # seconds a client may leave the pty full before output is dropped


class PtyPort:
    def __init__(self, link: str | None = None) -> None:
        self.link = link
        self.slave_path = ""
        self._master = -1

    @property
    def device(self) -> str:
        return self.link or self.slave_path

    @property
    def fileno(self) -> int:
        return self._master

    def open(self) -> str:
        """Create the pty (raw mode, so the kernel neither echoes nor edits) and the link."""
        self._master, self.slave_path = _new_pty()
        return self._make_link()

    def reopen(self) -> str:
        """Come back on another pty than the last, as a re-plugged USB modem gets a new tty.

        The kernel hands out the lowest free pts number, which may be the one just
        closed; holding that one open for a moment makes it pick another.
        """
        old = self.slave_path
        held: list[int] = []
        try:
            master, path = _new_pty()
            while path == old:
                held.append(master)
                master, path = _new_pty()
        finally:
            for fd in held:
                os.close(fd)
        self._master, self.slave_path = master, path
        return self._make_link()

    def _make_link(self) -> str:
        if self.link:
            try:
                _replace_symlink(self.slave_path, self.link)
            except OSError:
                self.close()
                raise
        return self.device

    def hung_up(self) -> bool:
        """True while no client has the slave open."""
        poller = select.poll()
        poller.register(self._master, select.POLLIN)
        return any(ev & select.POLLHUP for _, ev in poller.poll(0))

    def read(self) -> bytes:
        """What the client wrote; b"" when nothing is waiting. OSError EIO once it hung up."""
        try:
            return os.read(self._master, 4096)
        except BlockingIOError:
            return b""

    def write(self, data: bytes) -> None:
        """Write it all, or drop the rest when the client stopped reading or went away."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                _, writable, _ = select.select([], [self._master], [], WRITE_STALL)
                if not writable:
                    log.warning("client is not reading; dropped %d bytes", len(view))
                    return
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                return

    def close(self) -> None:
        """Close the master: the client's next read fails, as if the modem were unplugged."""
        if self._master >= 0:
            os.close(self._master)
            self._master = -1
        if self.link and self.slave_path:
            with contextlib.suppress(OSError):
                if os.readlink(self.link) == self.slave_path:
                    os.unlink(self.link)


def _new_pty() -> tuple[int, str]:
    """A non-blocking pty master and its slave's path; the slave end is left for a client."""
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        path = os.ttyname(slave)
    except OSError:
        os.close(master)
        raise
    finally:
        os.close(slave)
    os.set_blocking(master, False)
    return master, path


def _replace_symlink(target: str, link: str) -> None:
    """Point `link` at `target` in one step, so a client never finds it missing or stale."""
    tmp = f"{link}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        os.unlink(tmp)
        raise
