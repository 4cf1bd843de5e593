"""An AT-command GSM modem on a pseudo-terminal, for the demo, the tests and the benchmarks.

    with Emulator(send_latency=0.05, log_path="sent.jsonl") as emu:
        port = serial.Serial(emu.device)     # talk AT to it, as to a USB dongle
        emu.inject("+447700900123", "hi")    # an SMS arrives: +CMTI if AT+CNMI asked
        emu.sent                             # every part accepted by AT+CMGS

Layers, bottom up: `pty_port` (the device), `session` (bytes <-> command lines, echo,
the `> ` prompt, URCs), `parser` (one line -> commands), `general` and `sms` (the
27.007 and 27.005 handlers), `store` (the SIM's slots), `network` and `outbound` (what
AT+CMGS hands on: latency, failures, the JSON log), `modem` (the thread tying them),
`inject_dir` and `cli`.

Where it differs from a real modem, on purpose: settings survive a client closing the
port but a half-typed line or an abandoned `> ` prompt do not; a status report
(AT+CNMI ds=1, TP-SRR set) arrives at once, always "delivered"; only the "SM" store.
"""

from __future__ import annotations

from hardware.emulator.modem import Emulator
from hardware.emulator.outbound import SubmittedPart
from hardware.emulator.store import StoreFull

__all__ = ["Emulator", "StoreFull", "SubmittedPart"]
