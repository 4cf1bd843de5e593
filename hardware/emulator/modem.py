"""`Emulator`: an AT-command GSM modem on a pseudo-terminal, run in-process or by the CLI.

This is the wiring and the public face. The port thread (`port_server`) owns the pty and
the session; injected messages, status reports, fault changes and the control file come
from other threads and only store, set a value, or queue a URC and wake it.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hardware.emulator import general
from hardware.emulator.context import Context
from hardware.emulator.control import ControlFile
from hardware.emulator.faults import Faults, FaultState, check_seconds, resolve
from hardware.emulator.inject_dir import InjectDirWatcher
from hardware.emulator.network import Network, RefusedPart
from hardware.emulator.outbound import SendLog, SubmittedPart
from hardware.emulator.port_server import PortServer
from hardware.emulator.pty_port import PtyPort
from hardware.emulator.reports import IssuedReport, StatusReports
from hardware.emulator.session import Session
from hardware.emulator.state import Profile, SimState
from hardware.emulator.store import MessageStore
from hardware.pdu import encode_deliver

log = logging.getLogger(__name__)


class Emulator:
    """A modem on a pty; `sim` .. `report_failures` (and `send_latency`) are its first faults.

    Faults (see `faults.FaultState`) change while it runs with `emulator.faults.update(...)`
    or the `control` file (a JSON object, polled every 0.2 s); `vanish()` unplugs it.
    `fail_every=N` is `cms_every=N` with `+CMS ERROR: 38`; `cms_error` alone fails every
    send. A bad value raises BadFault, here and in update().
    """

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
        sim: str = "ready",
        registration: int = 1,
        rssi: int = 23,
        mute: bool = False,
        cms_error: int | None = None,
        cms_every: int = 0,
        cms_error_to: Mapping[str, int] | None = None,
        report_delay: float = 0.0,
        report_failures: float = 0.0,
        control: str | None = None,
    ) -> None:
        initial = _initial_faults(
            sim=sim,
            registration=registration,
            rssi=rssi,
            mute=mute,
            send_latency=send_latency,
            fail_every=fail_every,
            cms_error=cms_error,
            cms_every=cms_every,
            cms_error_to=cms_error_to or {},
            report_delay=report_delay,
            report_failures=report_failures,
        )
        self.profile = Profile(number=number, operator=operator, imei=imei, pin=pin)
        self._stop = threading.Event()
        self.faults = Faults(initial)
        self.network = Network(faults=self.faults, log=SendLog(log_path), wait=self._stop.wait)
        self.store = MessageStore(capacity)
        self.context = Context(
            self.profile, SimState(pin), self.store, self.network, faults=self.faults
        )
        if initial.sim == "pin":
            self.context.sim.lock()
        self._server = PortServer(PtyPort(link), self.context, self._stop)
        self.session: Session = self._server.session
        self.session.urc_in_answer = urc_in_answer
        self.context.urc = self._queue_urc
        self._reports = StatusReports(self.context, self._queue_urc, self._stop)
        self.network.on_sent = self._reports.on_sent
        self.faults.on_change = self._faults_changed
        self._inject_dir = inject_dir
        self._watcher: InjectDirWatcher | None = None
        self._control = (
            ControlFile(control, self.faults.update, self.vanish, self._stop) if control else None
        )
        self._concat_refs = itertools.cycle(range(1, 256))
        self._inject_lock = threading.Lock()

    @property
    def device(self) -> str:
        """The path a client opens: the link if there is one, else the pty itself."""
        return self._server.port.device

    @property
    def present(self) -> bool:
        """False from vanish() until the device is back."""
        return self._server.present.is_set()

    @property
    def sent(self) -> list[SubmittedPart]:
        return self.network.sent

    @property
    def refused(self) -> list[RefusedPart]:
        """Well-formed parts the network refused with a +CMS ERROR (a fault, not the PDU)."""
        return self.network.refused

    @property
    def reports(self) -> list[IssuedReport]:
        """Status reports issued so far, whether or not the client was listening."""
        return self._reports.issued

    @property
    def urc_in_answer(self) -> bool:
        return self.session.urc_in_answer

    @urc_in_answer.setter
    def urc_in_answer(self, value: bool) -> None:
        self.session.urc_in_answer = value
        self._server.wake()

    def start(self) -> str:
        """Open the pty, start serving; returns the device path a client opens."""
        if self._stop.is_set() or self._server.running:
            raise RuntimeError("an Emulator starts once; make a new one to come back")
        self.network.log.check()
        device = self._server.start()
        if self._inject_dir:
            self._watcher = InjectDirWatcher(self._inject_dir, self.inject, self._stop)
            self._watcher.start()
        if self._control is not None:
            self._control.start()
        log.info("emulated modem %s on %s", self.profile.number, device)
        return device

    def stop(self) -> None:
        """Stop serving and close the pty; a client then sees its port vanish."""
        self._stop.set()
        for worker in (self._control, self._watcher):
            if worker is not None:
                worker.join()
        self._server.close()
        self._reports.scheduler.close()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- faults ---------------------------------------------------------------------------

    def vanish(self, seconds: float, new_link: str | None = None) -> None:
        """Unplug the modem: clients get EIO and the link goes; it returns after `seconds`.

        It comes back on a new pty, as a re-plugged USB modem gets a new ttyUSB, with the
        same IMEI, SIM store and faults, but as after power-on: settings back to their
        defaults (echo on, AT+CNMI off) and a SIM with a PIN locked again. The link is
        made again, or `new_link` instead (and from then on). Returns once the device is
        gone; see wait_present().
        """
        check_seconds("vanish", seconds)
        if not self._server.running:
            raise RuntimeError("the emulator is not running")
        self._server.vanish(seconds, new_link)

    def wait_present(self, timeout: float | None = None) -> bool:
        """Wait for the device to be back after vanish(); False on timeout."""
        return self._server.present.wait(timeout)

    def _faults_changed(self, old: FaultState, new: FaultState, names: frozenset[str]) -> None:
        """Act on the events among the faults: a SIM put in, a count that restarts."""
        stat_before = self.context.registration_under(old)
        if "sim" in names and new.sim == "pin":
            self.context.sim.lock()
        elif "sim" in names and new.sim == "ready":
            self.context.sim.unlocked = True
        if names & {"cms_error", "cms_every", "fail_every"}:
            self.network.count_from_now()
        if "report_failures" in names:
            self._reports.failures.restart()
        if stat_before != self.context.registration:
            self._queue_urc(functools.partial(general.creg_urc, self.context))
        log.info("faults now: %s", new)

    # ---- inbound --------------------------------------------------------------------------

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

    def _queue_urc(self, urc: str | Callable[[], str | None]) -> None:
        self._server.queue_urc(urc)


def _initial_faults(
    *, fail_every: int, cms_error: int | None, cms_every: int, **plain: Any
) -> FaultState:
    """The constructor's arguments as faults: `fail_every` is cms_every with code 38."""
    changes: dict[str, Any] = dict(plain)
    if fail_every:
        changes["fail_every"] = fail_every
    if cms_error is not None:
        changes["cms_error"] = cms_error
    if cms_every:
        changes["cms_every"] = cms_every
    return resolve(FaultState(), changes)
