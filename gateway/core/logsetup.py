"""Logging for services and one-shot commands.

Services log to standard output, where systemd hands it to journald. Under journald
(JOURNAL_STREAM is set) each line starts with a syslog priority such as `<4>`, which
journald strips and keeps as the entry's priority, so `journalctl -p warning -u smsgw`
works; journald adds its own time stamp, so none is written. Elsewhere a line carries
the time and the level in words.
"""

from __future__ import annotations

import logging
import os
import sys

SYSLOG_PRIORITY = {  # logging level -> syslog priority (RFC 5424)
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = SYSLOG_PRIORITY.get(record.levelno, 6 if record.levelno > 10 else 7)
        text = super().format(record)
        # A traceback's lines would lose the priority: keep them in one entry's prefix.
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def configure(level: str, *, service: bool) -> None:
    """Services to standard output (journald); one-shot commands to standard error, as
    their standard output is the answer that scripts read."""
    handler = logging.StreamHandler(sys.stdout if service else sys.stderr)
    if service and os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
    elif service:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler])
