"""An AT-command GSM modem on a pseudo-terminal, for the demo, the tests and the benchmarks.

    with Emulator(send_latency=0.05, log_path="sent.jsonl") as emu:
        port = serial.Serial(emu.device)     # talk AT to it, as to a USB dongle
        emu.inject("+447700900123", "hi")    # an SMS arrives: +CMTI if AT+CNMI asked
        emu.sent                             # every part accepted by AT+CMGS

Layers, bottom up: `pty_port` (the device), `session` (bytes <-> command lines, echo,
the `> ` prompt, URCs), `parser` (one line -> commands), `general` and `sms` (the
27.007 and 27.005 handlers), `store` (the SIM's slots), `network` and `outbound` (what
AT+CMGS hands on: latency, failures, the JSON log), `reports` (status reports),
`port_server` (the thread owning the pty), `modem` (the `Emulator` tying them),
`inject_dir`, `control` and `cli`.

Faults of a modem in the field (`faults`, `control`, `port_server`), settable at
construction, live from any thread, or from a control file the CLI process polls:

    emu.faults.update(sim="absent")          # AT+CPIN? -> +CME ERROR: 10
    emu.faults.update(registration=2, rssi=99)
    emu.faults.update(mute=True)             # the hung dongle: answers nothing at all
    emu.faults.update(cms_error_to={"+447700900999": 1})   # a dead number
    emu.vanish(2.0)                          # unplugged; back on a new /dev/pts/N
    emu.faults.update(report_delay=5, report_failures=1.0)  # late, failed status reports

Where it differs from a real modem, on purpose: settings survive a client closing the
port (not a vanish, which is a power cycle), but a half-typed line or an abandoned
`> ` prompt do not; only the
"SM" store; a status report says delivered (TP-ST 0) or failed (0x41), never pending.
"""

from __future__ import annotations

from hardware.emulator.faults import BadFault, FaultState
from hardware.emulator.modem import Emulator
from hardware.emulator.network import RefusedPart
from hardware.emulator.outbound import SubmittedPart
from hardware.emulator.reports import IssuedReport
from hardware.emulator.store import StoreFull

__all__ = [
    "BadFault",
    "Emulator",
    "FaultState",
    "IssuedReport",
    "RefusedPart",
    "StoreFull",
    "SubmittedPart",
]
