"""The python-gammu driver: libgammu speaks AT, we keep it to one thread.

owner.py (the one thread that touches the StateMachine, fed by a queue) -> startup.py
(Init to ready: SIM, network, service centre; the timeouts) -> modem.py (the Modem
interface). tap.py reads gammu's debug log for what python-gammu drops (+CMS codes, raw
PDUs); errors.py is the one table of what gammu's errors mean; stored.py turns gammu's
message dicts into StoredPdu; incoming.py turns its callbacks into ModemEvents.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("gammu") is None:  # an optional dependency
    raise ImportError("the gammu driver needs python-gammu: pip install 'smsgw[gammu]'")

from hardware.gammu.modem import GammuModem
from hardware.gammu.startup import Timeouts

__all__ = ["GammuModem", "Timeouts"]
