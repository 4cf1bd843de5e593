"""A peer: gammu-smsd (files backend) on the same kind of emulated modem, tuned as far as
its manual (`man gammu-smsdrc`) allows, measured from the emulator's log the same way.

gammu-smsd reaches about 1 msg/s here, so it sends fewer messages than smsgw to keep
`make bench` short; the rate is what is compared.
"""

from __future__ import annotations

from pathlib import Path

from bench.peer_daemon import drive, ensure_installed, first_line, sent_of
from bench.procs import SendRate
from bench.report import Row
from bench.throughput import LATENCY, texts

MESSAGES = 60
BUDGET = 180.0  # seconds; a slower peer is measured on what it sent by then
PACKAGE = "gammu-smsd"

# Everything the manual offers for speed: no sleep in the main loop, no battery, signal,
# network or PIN checks between sends, no status refresh, inbox checks only when idle.
SMSDRC = """\
[gammu]
device = {device}
connection = at

[smsd]
service = files
inboxpath = {dir}/inbox/
outboxpath = {dir}/outbox/
sentsmspath = {dir}/sent/
errorsmspath = {dir}/error/
logfile = {dir}/smsd.log
debuglevel = {debug}
LoopSleep = 0
CommTimeout = 0
SendTimeout = 10
ReceiveFrequency = 3600
StatusFrequency = 0
CheckSecurity = 0
CheckBattery = 0
CheckSignal = 0
CheckNetwork = 0
ResetFrequency = 0
HardResetFrequency = 0
DeliveryReport = no
"""


def version(binary: str) -> str:
    words = first_line([binary, "--version"]).split()
    return words[-1] if words else "?"


def write_spool(workdir: Path, device: Path, items: list[tuple[str, str]], debug: int) -> Path:
    for sub in ("inbox", "outbox", "sent", "error"):
        (workdir / sub).mkdir(exist_ok=True)
    # OUT<priority>_<recipient>_<serial>.txt; the daemon sends in file-name order.
    for serial, (to, text) in enumerate(items):
        (workdir / "outbox" / f"OUTA_{to}_{serial:03d}.txt").write_text(text, encoding="ascii")
    rc = workdir / "smsdrc"
    rc.write_text(SMSDRC.format(device=device, dir=workdir, debug=debug))
    return rc


def measure(
    workdir: Path,
    n: int = MESSAGES,
    latency: float = LATENCY,
    budget: float = BUDGET,
    debug: int = 1,
) -> tuple[SendRate, float]:
    """Returns gammu-smsd's send rate and its peak memory in MB."""
    binary = ensure_installed("gammu-smsd", PACKAGE)
    items = texts(n)
    rc = write_spool(workdir, workdir / "modem", items, debug)
    log = workdir / "smsd.log"
    return drive(
        workdir,
        [binary, "-c", str(rc)],
        who="gammu-smsd",
        log=log,
        items=items,
        latency=latency,
        budget=budget,
    )


def run(workdir: Path) -> list[Row]:
    binary = ensure_installed("gammu-smsd", PACKAGE)
    rate, memory = measure(workdir)
    return [
        Row(
            "peer.rate",
            f"peer gammu-smsd {version(binary)} (1 modem, {sent_of(rate, MESSAGES, BUDGET)},"
            f" {LATENCY} s/send)",
            rate.rate,
            "msg/s",
            note=f"ratio {rate.ratio(LATENCY):.3f} of 1/latency; LoopSleep=0, checks off",
        ),
        Row("peer.memory", "gammu-smsd peak memory", memory, "MB", note="VmHWM"),
    ]
