"""One AT conversation as bytes in and bytes out: framing, echo, dispatch, prompt, URCs.

No file descriptors and no threads here; the port thread feeds bytes in and the session
writes its answers through the `write` callable at once, so the echo and the `> ` prompt
go out before a slow send starts, as on a real modem.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable

from hardware.emulator import general
from hardware.emulator.context import Context, Handler
from hardware.emulator.outbound import CMS_INVALID_PDU
from hardware.emulator.parser import LineSyntaxError, parse_line
from hardware.emulator.replies import CmeRefusal, PlainError, Prompt, Refusal
from hardware.emulator.sms import HANDLERS as SMS_HANDLERS

log = logging.getLogger(__name__)
TRACE = 5  # below DEBUG: raw AT traffic

CTRL_Z, ESC = 0x1A, 0x1B
MAX_LINE = 4096  # a line longer than this is noise: dropped and answered ERROR
CME_UNKNOWN = 100
HANDLERS: dict[str, Handler] = {**general.HANDLERS, **SMS_HANDLERS}
_PIN_ARG = re.compile(r'(\+CPIN=)"?[^";]*"?', re.IGNORECASE)

Urc = str | Callable[[], str | None]  # a line, or a function deciding it when it is sent


def redact(line: str) -> str:
    """The line fit for a log: a PIN never reaches one."""
    return _PIN_ARG.sub(r'\1"****"', line)


class Session:
    def __init__(self, ctx: Context, write: Callable[[bytes], None]) -> None:
        self.ctx = ctx
        self.urc_in_answer = False  # test hook: hold URCs and put them inside the next answer
        self._write = write
        self._buffer = bytearray()
        self._prompt: Prompt | None = None
        self._urcs: deque[Urc] = deque()  # appended from any thread, drained by the port's

    # ---- unsolicited result codes -------------------------------------------------------
    def queue_urc(self, urc: Urc) -> None:
        self._urcs.append(urc)

    def flush_urcs(self) -> None:
        """Send what is queued, unless a command is half done or the hook holds them."""
        if self._prompt is None and not self.urc_in_answer and self._urcs:
            self._send(self._take_urcs())

    def hangup(self) -> None:
        """The client closed the port: a half-typed line, a prompt and queued URCs go."""
        self._buffer.clear()
        self._prompt = None
        self._urcs.clear()

    def _take_urcs(self) -> str:
        out = []
        while self._urcs:
            urc = self._urcs.popleft()
            line = urc() if callable(urc) else urc
            if line is not None:
                out.append(f"\r\n{line}\r\n")
        return "".join(out)

    # ---- input --------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if log.isEnabledFor(TRACE):
            log.log(TRACE, "<- %s", redact(repr(data)))
        self._buffer += data
        while self._buffer:
            if self._prompt is not None:
                if not self._take_body():
                    return
            elif not self._take_line():
                return

    def _take_line(self) -> bool:
        match = re.search(rb"[\r\n]", self._buffer)
        if match is None:
            if len(self._buffer) > MAX_LINE:
                self._buffer.clear()
                self._send("\r\nERROR\r\n")
            return False
        raw = bytes(self._buffer[: match.end()])
        del self._buffer[: match.end()]
        text = raw.decode("utf-8", "replace").strip("\r\n\x1a\x1b\x00 ")
        if text:
            if self.ctx.settings.echo:
                self._send(raw.lstrip(b"\r\n\x1a\x1b\x00").decode("utf-8", "replace"))
            self._run_line(text)
        return True

    def _take_body(self) -> bool:
        """After `> `: everything up to Ctrl-Z is the message, Esc abandons it."""
        match = re.search(rb"[\x1a\x1b]", self._buffer)
        if match is None:
            if len(self._buffer) > MAX_LINE:  # a client that forgot it was asked for a PDU
                self._buffer.clear()
                self._prompt = None
                self._answer([], f"+CMS ERROR: {CMS_INVALID_PDU}")
            return False
        body = self._buffer[: match.start()].decode("utf-8", "replace")
        ctrl = self._buffer[match.start()]
        del self._buffer[: match.end()]
        prompt, self._prompt = self._prompt, None
        assert prompt is not None
        if self.ctx.settings.echo:
            self._send(body)
        if ctrl == ESC:
            self._answer([], "OK")
            return True
        try:
            self._answer([prompt.complete(body)], "OK")
        except Refusal as refusal:
            self._answer([], refusal.final(self.ctx.settings.cmee))
        except Exception:  # a bug must cost one answer, never the emulator
            log.exception("sending %r failed", body)
            self._answer([], "ERROR")
        return True

    # ---- commands -----------------------------------------------------------------------
    def _run_line(self, text: str) -> None:
        blocks: list[list[str]] = []  # one per command: its lines, CRLF between them
        try:
            commands = parse_line(text)
            for i, command in enumerate(commands):
                reply = self._handler(command.name)(self.ctx, command)
                if isinstance(reply, Prompt):
                    if i != len(commands) - 1:
                        raise PlainError("AT+CMGS must end the line")
                    self._send(_format(blocks) + "\r\n> ")
                    self._prompt = reply
                    return
                blocks.append(reply)
        except LineSyntaxError as exc:
            log.debug("garbage line: %s", exc)
            self._answer([], "ERROR")
        except Refusal as refusal:
            self._answer(blocks, refusal.final(self.ctx.settings.cmee))
        except Exception:
            log.exception("command %r failed", redact(text))
            self._answer(blocks, "ERROR")
        else:
            self._answer(blocks, "OK")

    @staticmethod
    def _handler(name: str) -> Handler:
        handler = HANDLERS.get(name)
        if handler is not None:
            return handler
        if re.fullmatch(r"S\d+", name):
            return general.accept
        raise CmeRefusal(CME_UNKNOWN)

    def _answer(self, blocks: list[list[str]], final: str) -> None:
        out = _format(blocks)
        if self.urc_in_answer and self._urcs:
            out += self._take_urcs()
        self._send(out + f"\r\n{final}\r\n")

    def _send(self, text: str) -> None:
        if text:
            if log.isEnabledFor(TRACE):
                log.log(TRACE, "-> %s", redact(repr(text)))
            self._write(text.encode("utf-8"))


def _format(blocks: list[list[str]]) -> str:
    """Information text as V.250 frames it: each command's lines inside one CRLF pair."""
    return "".join("\r\n" + "\r\n".join(block) + "\r\n" for block in blocks if block)
