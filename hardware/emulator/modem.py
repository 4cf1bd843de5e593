"""`Emulator`: an AT-command GSM modem on a pseudo-terminal, run in-process or by the CLI.

One thread owns the pty master and blocks in poll() on it and on a wake pipe, so an
answer leaves within microseconds of its command: the benchmark measures the client,
not us. Injected messages arrive from other threads and only queue a URC and wake it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import select
import threading
from collections.abc import Callable
from datetime import datetime

from hardware.emulator.context import Context
from hardware.emulator.inject_dir import InjectDirWatcher
from hardware.emulator.network import Network
from hardware.emulator.outbound import SendLog, SubmittedPart, tpdu_length
from hardware.emulator.pty_port import PtyPort
from hardware.emulator.session import Session
from hardware.emulator.state import Profile, SimState
from hardware.emulator.store import MessageStore
from hardware.pdu import encode_deliver, encode_status_report

log = logging.getLogger(__name__)

RECONNECT_POLL = 0.01  # seconds between looks for a client while none has the port open
TP_ST_DELIVERED = 0x00


class Emulator:
    def __init__(
        self,
        *,
        number: str = "+447700900000",
        send_latency: float = 0.0,
        fail_every: int = 0,
        log_path: str | None = None,
        inject_dir: str | None = None,
        link: str | None = None,
        pin: str = "",
        operator: str = "EE",
        imei: str = "356938035643809",
        capacity: int = 30,
        urc_in_answer: bool = False,
    ) -> None:
        self.profile = Profile(number=number, operator=operator, imei=imei, pin=pin)
        self._stop = threading.Event()
        self.network = Network(
            send_latency=send_latency,
            fail_every=fail_every,
            log=SendLog(log_path),
            wait=self._stop.wait,
        )
        self.network.on_sent = self._status_report
        self.store = MessageStore(capacity)
        self.context = Context(self.profile, SimState(pin), self.store, self.network)
        self._port = PtyPort(link)
        self.session = Session(self.context, self._port.write)
        self.session.urc_in_answer = urc_in_answer
        self.context.urc = self._queue_urc
        self._inject_dir = inject_dir
        self._watcher: InjectDirWatcher | None = None
        self._concat_refs = itertools.cycle(range(1, 256))
        self._inject_lock = threading.Lock()
        self._wake_r, self._wake_w = -1, -1
        self._wake_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def device(self) -> str:
        return self._port.device

    @property
    def sent(self) -> list[SubmittedPart]:
        return self.network.sent

    @property
    def urc_in_answer(self) -> bool:
        return self.session.urc_in_answer

    @urc_in_answer.setter
    def urc_in_answer(self, value: bool) -> None:
        self.session.urc_in_answer = value
        self._wake()

    def start(self) -> str:
        """Open the pty, start serving; returns the device path a client opens."""
        if self._stop.is_set() or self._thread is not None:
            raise RuntimeError("an Emulator starts once; make a new one to come back")
        self.network.log.check()
        device = self._port.open()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._serve, name="emulator-port", daemon=True)
        self._thread.start()
        if self._inject_dir:
            self._watcher = InjectDirWatcher(self._inject_dir, self.inject, self._stop)
            self._watcher.start()
        log.info("emulated modem %s on %s", self.profile.number, device)
        return device

    def stop(self) -> None:
        """Stop serving and close the pty; a client then sees its port vanish."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        self._port.close()
        with self._wake_lock:  # an inject() racing stop() must not write to a reused fd
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, sender: str, text: str) -> list[int]:
        """Store an inbound SMS (as many parts as it needs) and announce each part.

        Raises StoreFull (nothing stored) when the parts do not fit, PduError for a
        sender that cannot be encoded.
        """
        with self._inject_lock:
            pdus = encode_deliver(
                sender,
                text,
                datetime.now().astimezone(),
                concat_ref=next(self._concat_refs),
                smsc=self.profile.smsc,
            )
            indices = self.store.add_all(pdus)
        for index in indices:
            self._queue_urc(functools.partial(self._cmti, index))
        log.info("stored SMS from %s at %s", sender, indices)
        return indices

    def _cmti(self, index: int) -> str | None:
        return f'+CMTI: "SM",{index}' if self.context.settings.cmti_enabled else None

    def _status_report(self, part: SubmittedPart) -> None:
        """With AT+CNMI ds=1 and TP-SRR set, the network confirms delivery at once."""
        if not part.status_report:
            return
        now = datetime.now().astimezone()
        pdu = encode_status_report(part.message_ref, part.to, TP_ST_DELIVERED, now, now)

        def line() -> str | None:
            if not self.context.settings.cds_enabled:
                return None
            return f"+CDS: {tpdu_length(pdu)}\r\n{pdu}"

        self._queue_urc(line)

    def _queue_urc(self, urc: str | Callable[[], str | None]) -> None:
        self.session.queue_urc(urc)
        self._wake()

    def _wake(self) -> None:
        with self._wake_lock, contextlib.suppress(OSError):  # a full pipe already wakes it
            if self._wake_w >= 0:
                os.write(self._wake_w, b"!")

    def _serve(self) -> None:
        poller = select.poll()
        poller.register(self._port.fileno, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        connected = False
        while not self._stop.is_set():
            if not connected:
                if self._port.hung_up():
                    self.session.hangup()
                    self._stop.wait(RECONNECT_POLL)
                    continue
                connected = True
                log.debug("client opened %s", self.device)
            connected = self._serve_once(poller)
        log.debug("port thread ends")

    def _serve_once(self, poller: select.poll) -> bool:
        """One wait for input or a wake-up; False once the client has closed the port."""
        for fd, events in poller.poll():
            if fd == self._wake_r:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
                continue
            if self._stop.is_set():
                return True
            try:
                data = self._port.read() if events & select.POLLIN else b""
            except OSError:
                data = b""
            if data:
                self.session.feed(data)
            elif events & (select.POLLHUP | select.POLLERR):
                log.debug("client closed %s", self.device)
                self.session.hangup()
                return False
        self.session.flush_urcs()
        return True
