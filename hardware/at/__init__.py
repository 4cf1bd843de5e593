"""The pyserial AT-command driver, one layer per module.

port.py (bytes, the reader thread) -> lines.py (framing; answers vs unsolicited codes)
-> commands.py (one command in flight, timeouts) -> modem.py (the Modem interface);
startup.py is the open() sequence, replies.py and events.py read answers and URCs.
"""

from __future__ import annotations

from hardware.at.commands import Timeouts
from hardware.at.modem import AtModem

__all__ = ["AtModem", "Timeouts"]
