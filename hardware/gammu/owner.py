"""The one thread that ever touches a gammu StateMachine.

libgammu is not thread-safe: a StateMachine used from two threads interleaves AT
commands on one port. So one thread owns it, fed by a queue (the pattern of python-gammu's
worker and Home Assistant's sms integration); callers submit a function and wait for its
result. When the queue is idle the owner calls an idle hook (ReadDevice, so gammu sees
+CMTI), and after every call it reads gammu's debug log (tap.py) for the modem's own words.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import gammu

from hardware.errors import ModemError, ModemTimeout, PortLost
from hardware.gammu.errors import translate
from hardware.gammu.tap import Batch, DebugTap

log = logging.getLogger(__name__)
T = TypeVar("T")

Call = Callable[[Any], T]  # given the StateMachine


@dataclass
class _Job(Generic[T]):
    fn: Call[T]
    where: str
    secret: bool  # the call puts a PIN in gammu's log: rotate the log after it
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None
    batch: Batch = field(default_factory=Batch)


_IDLE: _Job[None] = _Job(lambda sm: None, "idle", False)  # the queue was empty


class GammuOwner:
    """A thread, its StateMachine, and the queue of calls waiting for it.

    `on_batch` sees what the modem said after each call and idle tick, in the owner
    thread (where gammu's incoming callbacks also run); `on_lost` is told once when the
    device goes away.
    """

    def __init__(
        self,
        name: str,
        device: str,
        tap: DebugTap,
        *,
        idle: Callable[[Any], None],
        on_batch: Callable[[Batch], None],
        on_lost: Callable[[str], None],
        idle_interval: float,
    ) -> None:
        self.name = name
        self._device = device
        self._tap = tap
        self._idle = idle
        self._on_batch = on_batch
        self._on_lost = on_lost
        self._idle_interval = idle_interval
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()  # None: stop
        self._lost: str | None = None
        self._connected = False  # Init succeeded: only then may Terminate be called
        self._thread = threading.Thread(target=self._run, name=f"gammu-{name}", daemon=True)

    @property
    def lost(self) -> bool:
        return self._lost is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Terminate the connection and end the thread; a thread stuck in libgammu is left."""
        if not self._thread.is_alive():
            return
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("%s: gammu thread still busy after %g s; leaving it", self.name, timeout)

    def connect(self, config: str, timeout: float) -> None:
        """ReadConfig and Init: gammu opens the port and works out what the modem is."""

        def init(sm: Any) -> None:
            sm.ReadConfig(Filename=config)
            sm.Init()
            self._connected = True

        self.call(init, timeout, "Init")

    def call(self, fn: Call[T], timeout: float, where: str, *, secret: bool = False) -> T:
        return self.call_batch(fn, timeout, where, secret=secret)[0]

    def call_batch(
        self, fn: Call[T], timeout: float, where: str, *, secret: bool = False
    ) -> tuple[T, Batch]:
        """Run fn(sm) in the owner thread; its result and what the modem said meanwhile.

        `where` names the call in errors. Raises the ModemError for a gammu error,
        ModemTimeout after `timeout` seconds, PortLost once the device has gone.
        """
        if self._lost is not None:
            raise PortLost(f"{self.name}: {self._lost}")
        job: _Job[T] = _Job(fn, where, secret)
        self._queue.put(job)
        if not job.done.wait(timeout):
            # The owner is still inside libgammu; its own timeouts will end the call.
            raise ModemTimeout(where, timeout, [])
        if job.error is not None:
            raise job.error
        return cast(T, job.result), job.batch

    # -- the owner thread -----------------------------------------------------------

    def _run(self) -> None:
        sm = gammu.StateMachine()
        while True:
            try:
                job = self._queue.get(timeout=self._idle_interval)
            except queue.Empty:
                job = _IDLE
            if job is None:
                break
            try:
                if job is _IDLE:
                    self._idle_tick(sm)
                else:
                    self._execute(sm, job)
            except Exception:  # a bug here must not end the thread every call waits on
                log.exception("%s: gammu owner thread", self.name)
        self._terminate(sm)

    def _execute(self, sm: Any, job: _Job[Any]) -> None:
        started = time.monotonic()
        try:
            if self._lost is not None:
                raise PortLost(f"{self.name}: {self._lost}")
            job.result = job.fn(sm)
        except BaseException as exc:  # handed to the caller, who raises it
            job.error = exc
        try:
            job.batch = self._read_tap(sm, rotate=job.secret)
        finally:
            if isinstance(job.error, gammu.GSMError):
                elapsed = time.monotonic() - started
                error = translate(job.error, job.batch.lines, job.where, elapsed)
                error.__cause__ = job.error
                job.error = error
            if isinstance(job.error, PortLost):
                self._lose(str(job.error))
            job.done.set()

    def _idle_tick(self, sm: Any) -> None:
        if self._lost is not None:
            return
        if self._device.startswith("/") and not os.path.exists(self._device):
            self._lose(f"{self._device} has gone (unplugged?)")
            return
        try:
            self._idle(sm)
        except gammu.GSMError as exc:
            error = translate(exc, [], "idle poll", 0.0)
            if isinstance(error, PortLost):
                self._lose(str(error))
            else:
                log.warning("%s: idle poll failed: %s", self.name, error)
        except ModemError as exc:
            log.warning("%s: idle poll failed: %s", self.name, exc)
        self._read_tap(sm)

    def _read_tap(self, sm: Any, *, rotate: bool = False) -> Batch:
        batch = self._tap.read()
        try:
            self._on_batch(batch)
        finally:
            if rotate or self._tap.due:
                self._tap.rotate(sm)
        return batch

    def _lose(self, reason: str) -> None:
        if self._lost is None:
            self._lost = reason
            log.error("%s: lost the modem: %s", self.name, reason)
            self._on_lost(reason)

    def _terminate(self, sm: Any) -> None:
        if not self._connected:
            return  # libgammu's Terminate after a failed Init can hang for good
        try:
            sm.Terminate()
        except gammu.GSMError as exc:  # not connected, or the port already gone
            log.debug("%s: Terminate: %s", self.name, exc)
