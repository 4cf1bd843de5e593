"""`smsgw emulator`: run the emulated modem until SIGTERM or SIGINT.

The device path is the only thing on stdout (a script reads it with `read`); logs go to
stderr.
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from hardware.emulator.faults import BadFault
from hardware.emulator.modem import Emulator
from hardware.emulator.session import TRACE

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"\+?\d{3,15}")


def _number(value: str) -> str:
    if not _NUMBER.fullmatch(value):
        raise argparse.ArgumentTypeError(f"not a phone number: {value!r}")
    return value


def _seconds(value: str) -> float:
    number = float(value)
    if not (number >= 0 and math.isfinite(number)):  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0: {value}")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return number


def _share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a share from 0.0 to 1.0: {value}")
    return number


def _rssi(value: str) -> int:
    number = int(value)
    if not (0 <= number <= 31 or number == 99):
        raise argparse.ArgumentTypeError(f"must be 0-31, or 99 for unknown: {value}")
    return number


def _cms_code(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 511:
        raise argparse.ArgumentTypeError(f"not a +CMS ERROR code (1-511): {value}")
    return number


def _dead_number(value: str) -> tuple[str, int]:
    number, sep, code = value.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"want NUMBER=CODE, e.g. +447700900999=1: {value!r}")
    return _number(number), _cms_code(code)


def _add_fault_arguments(p: argparse.ArgumentParser) -> None:
    """Faults the modem starts with; --control changes them while it runs."""
    p.add_argument(
        "--control",
        metavar="FILE",
        help='JSON object of faults, re-read whenever it changes (e.g. {"mute": true})',
    )
    p.add_argument("--no-sim", action="store_true", help="no SIM: AT+CPIN? gives CME ERROR 10")
    p.add_argument(
        "--not-registered", action="store_true", help="no network: +CREG stat 0, CMS ERROR 331"
    )
    p.add_argument(
        "--registration",
        type=int,
        choices=range(6),
        metavar="STAT",
        help="+CREG stat: 1 home (default), 5 roaming, 0 none, 2 searching, 3 denied",
    )
    p.add_argument("--rssi", type=_rssi, default=23, metavar="N", help="AT+CSQ: 0-31 or 99")
    p.add_argument(
        "--cms-error",
        type=_cms_code,
        metavar="CODE",
        help="sends fail with +CMS ERROR: CODE (all, or every Nth with --fail-every N)",
    )
    p.add_argument(
        "--cms-error-to",
        type=_dead_number,
        action="append",
        default=[],
        metavar="NUMBER=CODE",
        help="sends to NUMBER always fail with CODE (repeatable)",
    )
    p.add_argument(
        "--report-delay",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="seconds from the +CMGS answer to the status report",
    )
    p.add_argument(
        "--report-failures",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of status reports that say failed (TP-ST 0x41), spread evenly",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="smsgw emulator", description="An AT-command GSM modem on a pseudo-terminal."
    )
    p.add_argument("--link", help="make a stable symlink at PATH to the pty")
    p.add_argument("--number", type=_number, default="+447700900000", help="the SIM's number")
    p.add_argument(
        "--send-latency", type=_seconds, default=0.0, metavar="S", help="seconds each AT+CMGS takes"
    )
    p.add_argument(
        "--fail-every",
        type=_count,
        default=0,
        metavar="N",
        help="every Nth send fails with +CMS ERROR: 38 (or --cms-error CODE)",
    )
    p.add_argument("--log", metavar="FILE", help="append one JSON line per sent part")
    p.add_argument("--inject-dir", metavar="DIR", help="*.json files here arrive as SMS")
    p.add_argument("--pin", default="", help="SIM PIN the client must enter")
    p.add_argument("--operator", default="EE", help="network name for AT+COPS?")
    _add_fault_arguments(p)
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v debug, -vv raw AT traffic (PIN redacted)",
    )
    return p


@contextmanager
def _until_signalled() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT; handlers only in the main thread, restored after."""
    done = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield done
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        done.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield done
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or bad usage (2), without leaving the caller
        return exc.code if isinstance(exc.code, int) else 2
    level = {0: logging.INFO, 1: logging.DEBUG}.get(args.verbose, TRACE)
    logging.addLevelName(TRACE, "TRACE")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("hardware.emulator").setLevel(level)
    try:
        emulator = _emulator(args)
    except BadFault as exc:
        print(f"smsgw emulator: {exc}", file=sys.stderr)
        return 2
    with _until_signalled() as done:
        try:
            device = emulator.start()
        except OSError as exc:
            print(f"smsgw emulator: cannot start: {exc}", file=sys.stderr)
            return 1
        print(device, flush=True)
        try:
            while not done.wait(0.5):
                pass
        finally:
            emulator.stop()
    log.info("emulator stopped")
    return 0


def _emulator(args: argparse.Namespace) -> Emulator:
    registration = args.registration
    if registration is None:
        registration = 0 if args.not_registered else 1
    return Emulator(
        number=args.number,
        send_latency=args.send_latency,
        log_path=args.log,
        inject_dir=args.inject_dir,
        link=args.link,
        pin=args.pin,
        operator=args.operator,
        sim="absent" if args.no_sim else "ready",
        registration=registration,
        rssi=args.rssi,
        fail_every=args.fail_every if args.cms_error is None else 0,
        cms_error=args.cms_error,
        cms_every=args.fail_every if args.cms_error is not None else 0,
        cms_error_to=dict(args.cms_error_to),
        report_delay=args.report_delay,
        report_failures=args.report_failures,
        control=args.control,
    )
