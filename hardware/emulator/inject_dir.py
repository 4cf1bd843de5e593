"""Watches a directory for `*.json` files, each an SMS arriving from the network.

Polling every 50 ms costs nothing measurable and needs no inotify binding. A writer
should write under another name and rename into `*.json`; for one that does not, a file
that fails to parse is given a short grace period before it is declared bad.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hardware.emulator.store import StoreFull
from hardware.pdu import PduError

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05  # seconds
PARSE_GRACE = 0.25  # seconds a malformed file may still be being written
# What a network delivers as the originator: international, national, or alphanumeric
# (TS 23.040 9.1.2.5: at most 11 GSM characters, such as "Police" or "EE").
_SENDER = re.compile(r"\+\d{1,15}|\d{1,20}|(?=.*[^\d+])[^+].{0,10}")


class BadInjectFile(ValueError):
    """The file is not `{"from": "...", "text": "..."}`."""


def parse_inject_file(path: Path) -> tuple[str, str]:
    """(sender, text) from one file; BadInjectFile when it is not usable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInjectFile(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadInjectFile("not a JSON object")
    sender, text = data.get("from"), data.get("text")
    if not isinstance(sender, str) or not _SENDER.fullmatch(sender.strip()):
        raise BadInjectFile('"from" must be +E164, national digits or a name of 1-11 letters')
    if not isinstance(text, str):
        raise BadInjectFile('"text" must be a string')
    return sender.strip(), text


class InjectDirWatcher:
    def __init__(
        self, directory: str, inject: Callable[[str, str], list[int]], stop: threading.Event
    ) -> None:
        self.directory = Path(directory)
        self._inject = inject
        self._stop = stop
        self._warned: set[Path] = set()  # files left in place, warned about once
        self._thread = threading.Thread(target=self._run, name="emulator-inject", daemon=True)

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(POLL_INTERVAL):
            try:
                self.scan()
            except Exception:  # a full disk or a vanished directory must not end the watch
                log.exception("scanning %s failed", self.directory)

    def scan(self) -> int:
        """Inject every waiting file, oldest name first; returns how many went in."""
        done = 0
        for path in sorted(self.directory.glob("*.json")):
            if self._stop.is_set():
                break
            done += self._take(path)
        return done

    def _take(self, path: Path) -> int:
        try:
            sender, text = parse_inject_file(path)
            self._inject(sender, text)
        except FileNotFoundError:
            return 0  # taken by someone else between glob and read
        except (BadInjectFile, PduError) as exc:
            if not (isinstance(exc, BadInjectFile) and _is_fresh(path)):
                log.error("bad inject file %s: %s; renamed to .bad", path.name, exc)
                path.rename(path.with_suffix(".bad"))
            return 0
        except (StoreFull, OSError) as exc:  # full SIM, unreadable file: try again later
            if path not in self._warned:
                log.warning("%s waits: %s", path.name, exc)
                self._warned.add(path)
            return 0
        self._warned.discard(path)
        path.unlink(missing_ok=True)
        log.info("injected %s from %s", path.name, sender)
        return 1


def _is_fresh(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime < PARSE_GRACE
    except FileNotFoundError:
        return False
