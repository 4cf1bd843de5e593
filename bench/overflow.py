"""Reach beyond the SIMs (issue 16): one alert to 26,500 through 4 emulated SIMs (a budget
of 300 new numbers each) and a FastSMS stand-in as the `use = "overflow"` service.

The whole daemon runs in this process: its modem workers on in-process emulators, its
channel worker talking real HTTP to tests/fastsms_standin.py. The SIMs take 4 x 290 (their
budgets less the duty reserve), the service the other 25,340, which at its 10 messages a
second takes about 42 minutes: too long for `make bench`. So the run is time compressed by
SCALE (SMSGW_BENCH_SCALE, default 10; 1 = true speed): the service's ceiling (the stand-in's
and the provider's `max_per_second`) is 10 x SCALE messages a second, and a SIM's send
latency (3 s, a real USB modem's) is divided by SCALE. The wall time x SCALE is reported as
the true-speed projection. The daemon's own timers (status polling rounds, 429 pauses)
are not scaled: what they cost in CPU time does not shrink with the clock either.

"Handed over" is a SIM's emulator accepting the AT+CMGS, or the stand-in accepting the
request (its `made`). Every recipient must be reached exactly once.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.procs import BenchError, wait_for
from bench.report import Row
from bench.subscriber_import import _drama
from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.outbox.budget import DUTY_RESERVE
from gateway.subscribers.csv_io import import_csv

RECIPIENTS = 26_500
SIMS = 4
SIM_BUDGET = 300  # max_recipients_per_day
SIM_LATENCY = 3.0  # seconds per AT+CMGS on a real USB modem
SERVICE_RATE = 10.0  # messages a second: FastSMS's ceiling and the provider's max_per_second
EFFICIENCY_TARGET = 0.9
STALL = 60.0  # seconds without one message handed over: give up waiting
TEXT = "Bench: silver Subaru KX19 ABC heading to Docking. Reply with any sighting."


def scale() -> float:
    """SMSGW_BENCH_SCALE: how much faster than true speed the run goes."""
    raw = os.environ.get("SMSGW_BENCH_SCALE", "10")
    try:
        value = float(raw)
    except ValueError:
        raise BenchError(f"SMSGW_BENCH_SCALE={raw!r} is not a number") from None
    if value <= 0:
        raise BenchError(f"SMSGW_BENCH_SCALE={raw!r} must be above 0")
    return value


def _standin_module() -> ModuleType:
    """tests/fastsms_standin.py, loaded by path: the bench is not a test and needs no
    pytest. Registered in sys.modules before it runs, as its dataclasses need."""
    name = "smsgw_test_fastsms_standin"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "tests" / "fastsms_standin.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BenchError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Outcome:
    scale: float
    wall_s: float  # from 'send' to the last message handed over
    by_sim: list[list[str]]  # each emulator's recipients, in order
    by_service: list[str]  # the stand-in's destinations, as E.164
    service_first: float  # time.time() of the stand-in's first and last message
    service_last: float
    service_twice: int  # len(standin.twice())
    refused: int  # Send requests the stand-in refused as too fast (HTTP 429)
    people: list[str]
    finished: bool  # every recipient handed over before the wait gave up


def config(workdir: Path, db_url: str, url: str, factor: float) -> config_mod.Config:
    token = workdir / "fastsms.token"
    token.write_text("bench-token\n")
    token.chmod(0o600)
    modems = [
        {
            "name": f"sim{i}",
            "driver": "emulator",
            "number": f"+44770090099{i}",
            "send_latency": SIM_LATENCY / factor,
            "max_recipients_per_day": SIM_BUDGET,
        }
        for i in range(1, SIMS + 1)
    ]
    provider = {
        "name": "fastsms",
        "kind": "fastsms",
        "url": url,
        "token_file": str(token),
        "sender": "NorfolkPol",
        "use": "overflow",
        "max_per_second": SERVICE_RATE * factor,
    }
    return config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "bench"},
            "modem": modems,
            "provider": [provider],
        }
    )


def import_people(daemon: Daemon, workdir: Path) -> list[str]:
    people: list[str] = _drama().fictional(RECIPIENTS)
    csv = workdir / "people.csv"
    csv.write_text("phone,name,lists\n" + "".join(f"{p},,DOCKING\n" for p in people))
    daemon.subscribers.add_list("Docking farms", "DOCKING")
    report = import_csv(daemon.engine, csv)
    if report.bad or report.imported != RECIPIENTS:
        raise BenchError(f"import: {report.imported} people, {len(report.bad)} bad rows")
    return people


def measure(workdir: Path, db_url: str, factor: float) -> Outcome:
    """Run the alert; what each sender handed over, and when."""
    standin_mod = _standin_module()
    fast: Any = standin_mod.FastSmsStandin(
        token="bench-token",
        credits=10.0 * RECIPIENTS,
        max_per_second=SERVICE_RATE * factor,
        deliver_after=0.0,
    )
    fast.start()
    daemon = Daemon(config(workdir, db_url, fast.url, factor))
    try:
        daemon.start()  # migrates the fresh database
        people = import_people(daemon, workdir)
        emulators = [b.emulator for b in daemon.built]
        if any(e is None for e in emulators):
            raise BenchError("a modem was built without its emulator")
        wait_for(lambda: all(w.state == "ready" for w in daemon.workers), 30, "the 4 SIMs ready")

        def handed() -> int:
            return sum(len(e.sent) for e in emulators if e) + len(fast.made)

        hosted = RECIPIENTS - SIMS * (SIM_BUDGET - DUTY_RESERVE)
        limit = 3 * hosted / (SERVICE_RATE * factor) + 120
        wall = time.time()
        daemon.alerts.create(TEXT, ["DOCKING"], by="bench")
        finished = _wait_all(handed, limit)
        with fast.lock:
            made = list(fast.made)
            sends = sum(1 for s in fast.seen if "Action=Send" in s.body)
        twice = len(fast.twice())
    finally:
        daemon.stop()
        fast.stop()
    by_sim = [[p.to for p in e.sent] for e in emulators if e]
    last_sim = max((e.sent[-1].at.timestamp() for e in emulators if e and e.sent), default=wall)
    last_service = made[-1].at if made else wall
    return Outcome(
        scale=factor,
        wall_s=max(last_sim, last_service) - wall,
        by_sim=by_sim,
        by_service=["+" + m.destination for m in made],
        service_first=made[0].at if made else wall,
        service_last=last_service,
        service_twice=twice,
        refused=sends - len(made),
        people=people,
        finished=finished,
    )


def _wait_all(handed: Callable[[], int], limit: float) -> bool:
    """Until RECIPIENTS are handed over; False when progress stops for STALL seconds or
    the whole wait passes `limit`."""
    started = last_change = time.monotonic()
    seen = -1
    while True:
        now = time.monotonic()
        count = handed()
        if count >= RECIPIENTS:
            time.sleep(1.0)  # anything made twice shows up now, not after the count
            return handed() == RECIPIENTS
        if count != seen:
            seen, last_change = count, now
        if now - last_change > STALL or now - started > limit:
            print(f"  overflow: gave up at {count} of {RECIPIENTS}", file=sys.stderr)
            return False
        time.sleep(0.2)


def rows(out: Outcome) -> list[Row]:
    s = out.scale
    sims = [len(x) for x in out.by_sim]
    sim_all = [n for x in out.by_sim for n in x]
    both = len(set(sim_all) & set(out.by_service))
    twice = out.service_twice + both + (len(sim_all) - len(set(sim_all)))
    counts = Counter(sim_all + out.by_service)
    once = out.finished and set(counts) == set(out.people) and max(counts.values()) == 1
    span = out.service_last - out.service_first
    service = len(out.by_service)
    rate = (service - 1) / span if service > 1 and span > 0 else 0.0
    ceiling = SERVICE_RATE * s
    at = f"measured at {s:g}x speed" if s != 1 else "measured at true speed"
    return [
        Row(
            "overflow.wall",
            f"overflow: alert to {RECIPIENTS} via {SIMS} SIMs + FastSMS, all handed over",
            out.wall_s,
            "s",
            note=f"{at}: SIM latency {SIM_LATENCY / s:g} s, service {ceiling:g} msg/s",
        ),
        Row(
            "overflow.true_speed",
            "overflow: the same at true speed (projected)",
            out.wall_s * s / 60,
            "min",
            note=f"wall time x {s:g}, measured at {s:g}x speed; {SERVICE_RATE:g} msg/s, "
            f"{SIM_LATENCY:g} s a SIM send"
            if s != 1
            else "measured at true speed, not projected",
        ),
        Row(
            "overflow.efficiency",
            "overflow: hosted channel's rate / its ceiling",
            rate / ceiling,
            "",
            note=f"{rate:.1f} of {ceiling:g} msg/s over {span:.0f} s; "
            f"{out.refused} requests refused as too fast (HTTP 429)",
            target=f">= {EFFICIENCY_TARGET}",
            ok=rate / ceiling >= EFFICIENCY_TARGET,
        ),
        Row(
            "overflow.by_sim",
            "overflow: sent by the SIMs",
            sum(sims),
            "msgs",
            note=f"each: {', '.join(map(str, sims))} (budget {SIM_BUDGET} less {DUTY_RESERVE})",
        ),
        Row("overflow.by_service", "overflow: accepted by the service", service, "msgs"),
        Row(
            "overflow.twice",
            "overflow: made twice",
            twice,
            "msgs",
            note=f"service twice() {out.service_twice}, SIM and service {both}",
            target="0",
            ok=twice == 0,
        ),
        Row(
            "overflow.once",
            "overflow: every recipient reached exactly once",
            len(counts),
            "people",
            note="all handed over" if out.finished else "the wait gave up before the end",
            target=f"{RECIPIENTS}, once each",
            ok=once,
        ),
    ]


def run(workdir: Path) -> list[Row]:
    logging.getLogger("gateway").setLevel(logging.WARNING)
    factor = scale()
    return rows(measure(workdir, f"sqlite:///{workdir / 'smsgw.db'}", factor))
