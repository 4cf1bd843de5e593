"""The port thread: owns the pty master and the session, and unplugs and re-plugs the device.

It blocks in poll() on the pty and on a wake pipe, so an answer leaves within
microseconds of its command: the benchmark measures the client, not us. Other threads
never touch the pty or the session's parser; they queue a URC or leave a vanish request
and wake it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time

from hardware.emulator.context import Context
from hardware.emulator.pty_port import PtyPort
from hardware.emulator.session import Session, Urc

log = logging.getLogger(__name__)

RECONNECT_POLL = 0.01  # seconds between looks for a client while none has the port open
REPLUG_RETRY = 1.0  # seconds before trying again when the device cannot come back


class PortServer:
    def __init__(self, port: PtyPort, ctx: Context, stop: threading.Event) -> None:
        self.port = port
        self.session = Session(ctx, self.write)
        self.present = threading.Event()
        self._faults = ctx.faults
        self._stop = stop
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._lock = threading.Lock()  # the wake pipe's descriptors and the vanish request
        self._vanish_request: tuple[float, str | None, threading.Event] | None = None
        self._back_at: float | None = None  # while vanished: when the device returns

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> str:
        device = self.port.open()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.present.set()
        self._thread = threading.Thread(target=self._serve, name="emulator-port", daemon=True)
        self._thread.start()
        return device

    def close(self) -> None:
        """After the stop event is set: end the thread, close the pty and the wake pipe."""
        self.wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.port.close()
        self.present.clear()
        with self._lock:  # a wake() racing close() must not write to a reused fd
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def queue_urc(self, urc: Urc) -> None:
        self.session.queue_urc(urc)
        self.wake()

    def wake(self) -> None:
        with self._lock, contextlib.suppress(OSError):  # a full pipe already wakes it
            if self._wake_w >= 0:
                os.write(self._wake_w, b"!")

    def vanish(self, seconds: float, new_link: str | None) -> None:
        """Ask the thread to unplug the device; returns once it is gone."""
        gone = threading.Event()
        with self._lock:
            self._vanish_request = (seconds, new_link, gone)
        self.wake()
        while not gone.wait(0.05) and self._thread is not None and not self._stop.is_set():
            pass

    def write(self, data: bytes) -> None:
        """Everything the modem says goes here; a hung (muted) modem says nothing."""
        if not self._faults.now.mute:
            self.port.write(data)

    # ---- in the thread --------------------------------------------------------------------

    def _serve(self) -> None:
        poller = select.poll()
        poller.register(self.port.fileno, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        connected = False
        while not self._stop.is_set():
            if self._vanish_request is not None:
                self._unplug(poller)
            if self._back_at is not None:
                self._wait_for_replug(poller)
                connected = False
                continue
            if not connected:
                if self.port.hung_up():
                    self.session.hangup()
                    self._stop.wait(RECONNECT_POLL)
                    continue
                connected = True
                log.debug("client opened %s", self.port.device)
            connected = self._serve_once(poller)
        log.debug("port thread ends")

    def _serve_once(self, poller: select.poll) -> bool:
        """One wait for input or a wake-up; False once the client has closed the port."""
        for fd, events in poller.poll():
            if fd == self._wake_r:
                _drain(self._wake_r)
                continue
            if self._stop.is_set() or self._vanish_request is not None:
                return True
            try:
                data = self.port.read() if events & select.POLLIN else b""
            except OSError:
                data = b""
            if data and self._faults.now.mute:
                self.session.hangup()  # a hung modem loses what it was half-way through
            elif data:
                self.session.feed(data)
            elif events & (select.POLLHUP | select.POLLERR):
                log.debug("client closed %s", self.port.device)
                self.session.hangup()
                return False
        self.session.flush_urcs()
        return True

    def _unplug(self, poller: select.poll) -> None:
        with self._lock:
            request, self._vanish_request = self._vanish_request, None
        if request is None:
            return
        seconds, new_link, gone = request
        self.present.clear()
        if self.port.fileno >= 0:
            poller.unregister(self.port.fileno)
        self.session.hangup()
        self.port.close()
        self.session.ctx.reset()  # a re-plug is a power cycle: settings and PIN go too
        self.session.ctx.sim.power_on()
        if new_link:
            self.port.link = new_link
        self._back_at = time.monotonic() + seconds
        gone.set()
        log.info("modem unplugged; back in %g s", seconds)

    def _wait_for_replug(self, poller: select.poll) -> None:
        assert self._back_at is not None
        remaining = self._back_at - time.monotonic()
        if remaining > 0:
            if poller.poll(max(1, int(remaining * 1000))):  # a wake-up: stop, or vanish again
                _drain(self._wake_r)
            return
        try:
            device = self.port.reopen()
        except OSError as exc:
            log.error("modem cannot come back: %s; trying again", exc)
            self._back_at = time.monotonic() + REPLUG_RETRY
            return
        poller.register(self.port.fileno, select.POLLIN)
        self._back_at = None
        self.present.set()
        log.info("emulated modem back on %s (%s)", device, self.port.slave_path)


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        os.read(fd, 4096)
