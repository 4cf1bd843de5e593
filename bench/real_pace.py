"""A real modem's pace: 3 s per AT+CMGS (FIELD-NOTES: a USB dongle sends 6 to 12 SMS a
minute), 20 messages each for smsgw, gammu-smsd and smstools3, one after another.

At this pace the radio is the bottleneck for everyone; what is left to compare is how much
time each daemon adds between sends. Overhead share = (elapsed - messages x 3 s) /
(messages x 3 s), elapsed running from the first send's start to the last send's end at the
emulator: the daemon's time between sends as a share of radio time (1/ratio - 1). Start-up
is not counted. Each daemon runs as tuned in its own benchmark (bench.throughput,
bench.peer, bench.peer_smstools).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench import peer, peer_smstools, throughput
from bench.peer_daemon import NotInstalled, not_installed_row, sent_of
from bench.procs import BenchError, SendRate
from bench.report import Row, error_row

MESSAGES = 20
LATENCY = 3.0  # seconds per send, a real modem's pace
BUDGET = 150.0  # seconds for a peer's 20 sends; a slower one is measured on what it sent


def smsgw(workdir: Path) -> SendRate:
    rate, _, _ = throughput.measure(workdir, n=MESSAGES, latency=LATENCY, reports=False)
    return rate


def gammu_smsd(workdir: Path) -> SendRate:
    return peer.measure(workdir, n=MESSAGES, latency=LATENCY, budget=BUDGET)[0]


def smstools3(workdir: Path) -> SendRate:
    return peer_smstools.measure(workdir, n=MESSAGES, latency=LATENCY, budget=BUDGET)[0]


# key suffix -> (shown name, how to measure it)
DAEMONS: dict[str, tuple[str, Callable[[Path], SendRate]]] = {
    "smsgw": ("smsgw", smsgw),
    "gammu_smsd": ("gammu-smsd", gammu_smsd),
    "smstools3": ("smstools3", smstools3),
}


def overhead_share(rate: SendRate, latency: float) -> float:
    """(elapsed - radio time) / radio time, radio time being one latency per message."""
    radio = rate.messages * latency
    return (rate.elapsed - radio) / radio


def row(key: str, who: str, rate: SendRate) -> Row:
    radio = rate.messages * LATENCY
    return Row(
        f"real_pace.{key}",
        f"real pace: {who} (1 modem, {sent_of(rate, MESSAGES, BUDGET)}, {LATENCY:.0f} s/send)",
        100 * overhead_share(rate, LATENCY),
        "% of radio",
        note=(
            f"overhead = (elapsed {rate.elapsed:.2f} s - {rate.messages} x {LATENCY:.0f} s radio)"
            f" / {radio:.0f} s, first send to last; {rate.rate:.3f} msg/s"
        ),
    )


def run(workdir: Path) -> list[Row]:
    rows = []
    for key, (who, measure) in DAEMONS.items():
        (workdir / key).mkdir()
        try:
            rate = measure(workdir / key)
        except NotInstalled as exc:
            rows.append(not_installed_row(f"real_pace.{key}", who, str(exc)))
            continue
        except BenchError as exc:  # the other daemons' rows still count
            keep = "`python -m bench real_pace --keep` keeps its logs"
            rows.append(error_row(f"real_pace.{key}", f"real pace: {who}", f"{exc}; {keep}"))
            continue
        rows.append(row(key, who, rate))
    return rows
