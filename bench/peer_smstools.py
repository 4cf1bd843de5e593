"""The second peer: smstools3 (`smsd`, Debian's `smstools`) on the same kind of emulated
modem, measured from the emulator's log the same way as smsgw and gammu-smsd.

Its manual (/usr/share/doc/smstools/html/doc/configure.html) allows this much for speed:

- `trust_outgoing = yes`: the spool files are made by rename, so the main process skips its
  half-second "is the file still growing?" wait per file. Without it smsd moves two files
  a second to its queue, which caps it at 2 msg/s whatever the modem does.
- `ignore_outgoing_priority = yes`: no opening every file for a `Priority:` header.
- `check_network = 0`: no AT+CREG? before every send.
- `detect_unexpected_input = no`: no 100 ms read for stray modem output before every command.
- `poll_faster = 100`: an expected answer is polled for every 1 ms, not every 20 ms (the
  default factor 5 divides a 100 ms step).
- `delaytime = 1`: the shortest idle sleep (whole seconds; 0 would poll the spool in a busy
  loop). Every file is spooled before smsd starts, so it never idles mid-run.
- `incoming = no`, `report = no`: send only, no status reports (as smsgw's figure).
Left at their defaults because they are already the fastest: `send_delay = 0` (a command is
written at once), `sentsleeptime = 0`, `communication_delay = 0`, `keep_open = yes`.
Measured here at 0.05 s/send: Debian's defaults about 2 msg/s (FIELD-NOTES' figure), tuned
about 16; the default `detect_unexpected_input` alone costs three quarters of that and the
default `poll_faster` a quarter.
smsd runs in the foreground (`-t`) with its log, pid and info files in the work directory;
`loglevel = notice` logs one line per sent message, as gammu-smsd's debuglevel 1 does.
`make bench` installs the package when it is missing and runs as root; without it the rows
say smstools3 is not installed.
"""

from __future__ import annotations

from pathlib import Path

from bench.peer_daemon import (
    NotInstalled,
    drive,
    first_line,
    installed,
    not_installed_row,
    sent_of,
)
from bench.procs import SendRate
from bench.report import Row
from bench.throughput import LATENCY, texts

MESSAGES = 200
BUDGET = 120.0  # seconds; a slower peer is measured on what it sent by then
PACKAGE = "smstools"
SPOOLS = ("outgoing", "checked", "failed", "sent", "incoming")

SMSD_CONF = """\
devices = GSM1
outgoing = {dir}/outgoing
checked = {dir}/checked
failed = {dir}/failed
sent = {dir}/sent
incoming = {dir}/incoming
logfile = {dir}/smsd.log
loglevel = {loglevel}
infofile = {dir}/smsd.working
pidfile = {dir}/smsd.pid
delaytime = 1
trust_outgoing = yes
ignore_outgoing_priority = yes

[GSM1]
device = {device}
incoming = no
report = no
check_network = 0
detect_unexpected_input = no
poll_faster = 100
"""


def version(binary: str) -> str:
    """`Version 3.1.21, Copyright ...` -> 3.1.21."""
    words = first_line([binary, "-V"]).replace(",", " ").split()
    return words[1] if len(words) > 1 else "?"


def write_spool(workdir: Path, device: Path, items: list[tuple[str, str]], loglevel: str) -> Path:
    for sub in SPOOLS:
        (workdir / sub).mkdir(exist_ok=True)
    # Written under a hidden name and renamed, as trust_outgoing requires; smsd takes the
    # oldest file first, names breaking ties. Numbers go without "+" (international).
    for serial, (to, text) in enumerate(items):
        hidden = workdir / "outgoing" / f".bench_{serial:04d}"
        hidden.write_text(f"To: {to.lstrip('+')}\n\n{text}\n", encoding="ascii")
        hidden.rename(hidden.with_name(hidden.name[1:]))
    conf = workdir / "smsd.conf"
    conf.write_text(SMSD_CONF.format(device=device, dir=workdir, loglevel=loglevel))
    return conf


def measure(
    workdir: Path,
    n: int = MESSAGES,
    latency: float = LATENCY,
    budget: float = BUDGET,
    loglevel: str = "notice",
) -> tuple[SendRate, float]:
    """Returns smsd's send rate and the peak memory (MB) of its main and modem processes."""
    binary = installed("smsd", PACKAGE)
    items = texts(n)
    conf = write_spool(workdir, workdir / "modem", items, loglevel)
    return drive(
        workdir,
        [binary, "-t", "-c", str(conf)],
        who="smstools3",
        log=workdir / "smsd.log",
        items=items,
        latency=latency,
        budget=budget,
    )


def run(workdir: Path) -> list[Row]:
    try:
        binary = installed("smsd", PACKAGE)
    except NotInstalled as exc:
        return [not_installed_row("peer_smstools.rate", "smstools3", str(exc))]
    rate, memory = measure(workdir)
    return [
        Row(
            "peer_smstools.rate",
            f"peer smstools3 {version(binary)} (1 modem, {sent_of(rate, MESSAGES, BUDGET)},"
            f" {LATENCY} s/send)",
            rate.rate,
            "msg/s",
            note=f"ratio {rate.ratio(LATENCY):.3f} of 1/latency; trust_outgoing, poll_faster=100,"
            " checks off",
        ),
        Row(
            "peer_smstools.memory",
            "smstools3 peak memory",
            memory,
            "MB",
            note="VmHWM, main + modem process",
        ),
    ]
