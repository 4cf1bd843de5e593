"""One AT command in flight at a time: write it, collect its answer, raise its error.

The reader thread feeds bytes in (`feed`); the caller's thread blocks in `command` on a
queue of answer lines, so an answer is handed over the moment its final line arrives:
no polling and no sleeps, which is what lets back-to-back AT+CMGS keep a modem busy.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hardware.at.lines import PROMPT, LineFramer, LineSorter, Prompt, Urc, command_name
from hardware.at.results import Final, error_for, parse_final
from hardware.errors import GarbledReply, ModemError, ModemTimeout, PortLost

log = logging.getLogger(__name__)
# The raw AT traffic, one line per command and per answer line. Turn this logger to
# DEBUG alone to see the wire without the rest of the program's debugging.
trace = logging.getLogger("hardware.at.trace")

CTRL_Z = b"\x1a"  # ends the PDU after the prompt (27.005 3.5.1)
ESC = b"\x1b"  # abandons a message at the prompt


@dataclass(frozen=True)
class Timeouts:
    """Every wait on the modem, in seconds, in one place."""

    default: float = 5.0
    sync: float = 1.0  # one `AT` while finding the modem's attention at open
    cpin: float = 10.0  # the SIM checks a PIN slowly
    prompt: float = 10.0  # AT+CMGS=<n> until the "> " prompt
    cmgs: float = 60.0  # PDU written until +CMGS: <mr>; a network round trip
    cmgl: float = 30.0  # listing a full SIM store
    sim_ready: float = 20.0  # SIM busy (CME 14 / CMS 314) after power-on or PIN
    service_centre: float = 10.0  # AT+CSCA? empty for some seconds after power-on

    def for_command(self, command: str) -> float:
        name = command_name(command)
        if name == "+CPIN" and "=" in command:
            return self.cpin
        if name == "+CMGL":
            return self.cmgl
        return self.default


_SECRET = re.compile(r"^(AT\+(?:CPIN|CPWD|CLCK)=)(.*)$", re.IGNORECASE)


def redact(text: str) -> str:
    """The command with any PIN or password hidden, for logs and error messages."""
    return _SECRET.sub(r"\1<redacted>", text)


class _Lost:
    def __init__(self, reason: str) -> None:
        self.reason = reason


Item = str | Prompt | _Lost


class AtChannel:
    """Pairs commands with their answers and hands unsolicited codes to `on_urc`.

    `write` sends bytes to the port. `feed` and `lost` are called by the reader thread;
    `command` and `send_pdu` by any thread, one at a time behind a lock.
    """

    def __init__(
        self,
        write: Callable[[bytes], None],
        on_urc: Callable[[Urc], None],
        timeouts: Timeouts | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts()
        self._write = write
        self._on_urc = on_urc
        self._lock = threading.Lock()
        self._answers: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._answering: str | None = None
        self._framer = LineFramer()
        self._sorter = LineSorter()
        self._lost: str | None = None
        self._lost_event = threading.Event()

    # -- reader thread ------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        for token in self._framer.feed(data):
            answering = self._answering
            if isinstance(token, Prompt):
                trace.debug("<< > (prompt)")
                if answering is not None:
                    self._answers.put(token)
                continue
            trace.debug("<< %s", redact(token))
            for item in self._sorter.sort(token, answering):
                if isinstance(item, str):
                    self._answers.put(item)
                elif answering is None and parse_final(item.line) is not None:
                    log.debug("late final result %r with no command in flight", item.line)
                else:
                    self._hand_up(item)

    def _hand_up(self, urc: Urc) -> None:
        try:
            self._on_urc(urc)
        except Exception:  # the rest of this read (an answer, maybe) must still arrive
            log.exception("handling %r failed", urc.line)

    def lost(self, reason: str) -> None:
        """The port is gone: fail the command in flight now, and every later one."""
        self._lost = reason
        self._lost_event.set()
        self._answers.put(_Lost(reason))

    # -- caller threads -----------------------------------------------------------

    @property
    def is_lost(self) -> bool:
        return self._lost is not None

    def pause(self, seconds: float) -> None:
        """Wait between polls at start-up; cut short, with PortLost, if the port goes."""
        if self._lost_event.wait(seconds):
            raise PortLost(f"port lost: {self._lost}")

    def command(self, command: str, *, timeout: float | None = None) -> list[str]:
        """Run one command; return its information lines (without echo or final code)."""
        wait = self.timeouts.for_command(command) if timeout is None else timeout
        with self._lock:
            self._begin(command)
            try:
                self._send(command.encode("ascii") + b"\r", command)
                lines, final = self._collect(command, wait)
            finally:
                self._answering = None
        return _checked(final, command, lines)

    def send_pdu(
        self,
        command: str,
        pdu: str,
        before_body: Callable[[], None] | None = None,
        in_flight: Callable[[], None] | None = None,
    ) -> list[str]:
        """AT+CMGS and the like: the command, the `> ` prompt, then the PDU and Ctrl-Z.

        `before_body` runs while the modem answers with its prompt; if it raises, the
        message is abandoned there (Esc) and the exception goes on. `in_flight` runs once
        the body is written, while the network works on it."""
        with self._lock:
            self._begin(command)
            try:
                self._send(command.encode("ascii") + b"\r", command)
                if before_body is not None:
                    try:
                        before_body()
                    except BaseException:
                        self._abandon(command)
                        raise
                lines, end = self._collect(command, self.timeouts.prompt, prompt=True)
                if isinstance(end, Final):
                    _checked(end, command, lines)
                    raise GarbledReply(f"{command} ended with {end.line!r} and no prompt")
                self._send(pdu.encode("ascii") + CTRL_Z, pdu)
                if in_flight is not None:
                    try:
                        in_flight()
                    except Exception:  # the body has gone: its answer must still be read
                        log.exception("%s: in_flight failed", redact(command))
                more, final = self._collect(command, self.timeouts.cmgs)
            finally:
                self._answering = None
        return _checked(final, command, lines + more)

    def _begin(self, command: str) -> None:
        if self._lost is not None:
            raise PortLost(f"port lost: {self._lost}")
        while True:  # lines left by a command that timed out must not answer this one
            try:
                stale = self._answers.get_nowait()
            except queue.Empty:
                break
            if isinstance(stale, _Lost):
                raise PortLost(f"port lost: {stale.reason}")
            log.debug("dropping stale answer line %r", stale)
        self._answering = command_name(command)

    def _send(self, data: bytes, shown: str) -> None:
        trace.debug(">> %s", redact(shown))
        self._write(data)

    def _collect(
        self, command: str, timeout: float, *, prompt: bool = False
    ) -> tuple[list[str], Final | Prompt]:
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while True:
            try:
                item = self._answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                if prompt:  # leave the modem's text-entry mode, or it eats what follows
                    self._escape()
                raise ModemTimeout(redact(command), timeout, lines) from None
            if isinstance(item, _Lost):
                raise PortLost(f"port lost during {redact(command)}: {item.reason}")
            if isinstance(item, Prompt):
                if prompt:
                    return lines, PROMPT
                continue
            final = parse_final(item)
            if final is not None:
                return lines, final
            if item.upper() != command.upper():  # an echo, before ATE0 has taken effect
                lines.append(item)

    def _abandon(self, command: str) -> None:
        """Leave a message at its prompt: Esc, and the modem's answer to it (27.005 3.5.1)."""
        with contextlib.suppress(ModemError):
            _, end = self._collect(command, self.timeouts.prompt, prompt=True)
            if isinstance(end, Prompt):
                self._send(ESC, "<ESC>")
                self._collect(command, self.timeouts.default)

    def _escape(self) -> None:
        with contextlib.suppress(ModemError):
            self._send(ESC, "<ESC>")


def _checked(final: Final | Prompt, command: str, lines: list[str]) -> list[str]:
    if isinstance(final, Final):
        error = error_for(final, redact(command))
        if error is not None:
            raise error
    return lines
