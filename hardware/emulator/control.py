"""The control file: a JSON object that changes a running emulator process's faults.

    {"mute": true}                      the dongle hangs
    {"sim": "absent", "rssi": 0}        the SIM falls out, the signal goes
    {"vanish": 2.0, "new_link": "/x"}   unplugged for two seconds, back under /x

Polled every 0.2 s by its own thread, never on the answer path. The file is applied each
time it changes (a new inode, size or mtime), so writing the same object again - by
writing a temporary file and renaming it over the old one - repeats a vanish. Keys
absent from the object leave their fault as it is. A file that is not a valid object is
logged and ignored as a whole until it changes again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hardware.emulator.faults import BadFault, check_seconds

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.2  # seconds
ACTIONS = frozenset({"vanish", "new_link"})  # one-off events rather than lasting faults

Vanish = Callable[[float, str | None], None]
Update = Callable[[Mapping[str, Any]], object]


def parse_control(text: str) -> tuple[dict[str, Any], tuple[float, str | None] | None]:
    """(faults to set, (seconds, new_link) to vanish or None); BadFault if unusable."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFault(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadFault("not a JSON object")
    faults = {k: v for k, v in data.items() if k not in ACTIONS}
    if "vanish" not in data:
        if "new_link" in data:
            raise BadFault('"new_link" needs "vanish"')
        return faults, None
    new_link = data.get("new_link")
    if new_link is not None and not (isinstance(new_link, str) and new_link):
        raise BadFault(f"new_link must be a path, not {new_link!r}")
    return faults, (check_seconds("vanish", data["vanish"]), new_link)


class ControlFile:
    def __init__(self, path: str, update: Update, vanish: Vanish, stop: threading.Event) -> None:
        self.path = Path(path)
        self._update = update
        self._vanish = vanish
        self._stop = stop
        self._seen: tuple[int, int, int] | None = None
        self._thread = threading.Thread(target=self._run, name="emulator-control", daemon=True)

    def start(self) -> None:
        """Apply the file as it is now, then watch it."""
        self.poll()
        self._thread.start()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(POLL_INTERVAL):
            try:
                self.poll()
            except Exception:  # a vanished directory must not end the watch
                log.exception("reading %s failed", self.path)

    def poll(self) -> bool:
        """Apply the file if it changed since the last look; True when it was applied."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._seen = None
            return False
        signature = (st.st_ino, st.st_size, st.st_mtime_ns)
        if signature == self._seen:
            return False
        self._seen = signature
        try:
            faults, vanish = parse_control(self.path.read_text(encoding="utf-8"))
            self._update(faults)
        except (BadFault, UnicodeDecodeError) as exc:
            log.error("control file %s ignored: %s", self.path, exc)
            return False
        except FileNotFoundError:
            self._seen = None
            return False
        log.info("control file %s applied: %s", self.path, faults)
        if vanish is not None:
            self._vanish(*vanish)
        return True
