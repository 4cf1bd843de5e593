"""A scripted AT device wired back to back with the driver through a real pseudo-terminal.

The driver opens the slave side with pyserial exactly as it opens /dev/ttyUSB2; a thread
here holds the master side, reads what the driver writes and answers from a script.
Tests then assert on the very bytes the device received.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Callable

Reply = str | bytes | Callable[[str], "str | bytes | None"] | None

PROMPT = b"\r\n> "
CTRL_Z, ESC = b"\x1a", b"\x1b"

HAPPY: dict[str, Reply] = {
    "AT": "OK",
    "ATE0": "OK",
    "AT+CMEE=1": "OK",
    "AT+CPIN?": "+CPIN: READY\nOK",
    "AT+CMGF=0": "OK",
    "AT+CNMI=2,1,0,1,0": "OK",
    'AT+CPMS="SM","SM","SM"': "+CPMS: 0,30,0,30,0,30\nOK",
    "AT+CREG?": "+CREG: 0,1\nOK",
    "AT+CSCA?": '+CSCA: "+447700900999",145\nOK',
    "AT+CMMS=2": "OK",
    "AT+CMGS=": PROMPT,
}


def lines(text: str) -> bytes:
    """A modem's framing of each line: CR LF before and after."""
    return b"".join(b"\r\n" + line.encode() + b"\r\n" for line in text.split("\n") if line)


class FakeDevice:
    """Answers each command line from `replies` (exact command first, then the part up to
    and including `=`/`?`); unknown commands get ERROR. After a prompt it collects the PDU
    up to Ctrl-Z and answers with `replies["PDU"]` (default `+CMGS: <n>` and OK).
    """

    def __init__(self, replies: dict[str, Reply] | None = None, *, echo: bool = False) -> None:
        self.replies: dict[str, Reply] = {**HAPPY, **(replies or {})}
        self.echo = echo
        self.received = bytearray()
        self.commands: list[str] = []
        self.pdus: list[str] = []
        self._mr = 0
        self._buf = b""
        self._in_pdu = False
        self._stop = threading.Event()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or CR/LF mangling before pyserial sets it up
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._run, name="fake-at-device", daemon=True)
        self._thread.start()

    # -- the test's side ------------------------------------------------------------

    def push(self, data: str | bytes) -> None:
        """Send something unsolicited (a +CMTI, noise) right now."""
        self._write(lines(data) if isinstance(data, str) else data)

    def hang_up(self) -> None:
        """Close the device's side, as an unplugged USB modem does."""
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    close = hang_up

    def wait_received(self, data: bytes, timeout: float = 2.0) -> bool:
        """True once the driver's bytes end with `data` (they cross a pty asynchronously)."""
        deadline = time.monotonic() + timeout
        while not self.received.endswith(data):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def count(self, data: bytes) -> int:
        return bytes(self.received).count(data)

    # -- the device's side ----------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.02)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except OSError:
                return
            self.received.extend(data)
            self._buf += data
            self._consume()

    def _consume(self) -> None:
        while True:
            if self._in_pdu:
                end = min((i for i in (self._buf.find(CTRL_Z), self._buf.find(ESC)) if i >= 0),
                          default=-1)  # fmt: skip
                if end < 0:
                    return
                pdu, terminator = self._buf[:end].decode(), self._buf[end : end + 1]
                self._buf, self._in_pdu = self._buf[end + 1 :], False
                if terminator == CTRL_Z:
                    self._pdu(pdu)
                continue
            end = self._buf.find(b"\r")
            if end < 0:
                return
            raw, self._buf = self._buf[:end], self._buf[end + 1 :]
            command = raw.replace(ESC, b"").strip(b"\n ").decode(errors="replace")
            if command:
                self._command(command)

    def _pdu(self, pdu: str) -> None:
        self.pdus.append(pdu)
        self._answer("PDU", self.replies.get("PDU", self._cmgs_ok))

    def _command(self, command: str) -> None:
        self.commands.append(command)
        if self.echo:
            self._write(command.encode() + b"\r")
        if command.upper() == "ATE0":
            self.echo = False
        key = next((k for k in (command, _stem(command)) if k in self.replies), None)
        reply = self.replies[key] if key is not None else "ERROR"
        self._answer(command, reply)

    def _answer(self, command: str, reply: Reply) -> None:
        if callable(reply):
            reply = reply(command)
        if reply is None:
            return
        if reply == PROMPT:
            self._prompt()
        else:
            self._write(lines(reply) if isinstance(reply, str) else reply)

    def _cmgs_ok(self, _: str) -> str:
        self._mr = (self._mr + 1) % 256
        return f"+CMGS: {self._mr}\nOK"

    def _prompt(self) -> None:
        self._in_pdu = True
        self._write(PROMPT)

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self._master, data)


def _stem(command: str) -> str:
    for mark in ("=", "?"):
        if mark in command:
            return command[: command.index(mark) + 1]
    return command
