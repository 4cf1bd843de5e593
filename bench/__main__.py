"""`python -m bench [NAME ...]`: run the benchmarks, print one table, write results.json.

Exit status 1 when a figure misses its target or a benchmark could not run. The work
directory of a benchmark that failed is kept (its path is printed) for its logs.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.report import Row, error_row, machine, table, write_json

# name -> module; run in this order (the peers' comparison needs the throughput figure).
BENCHMARKS = {
    "throughput": "bench.throughput",
    "sync_cost": "bench.sync_cost",
    "bare_loop": "bench.bare_loop",
    "peer": "bench.peer",
    "peer_smstools": "bench.peer_smstools",
    "real_pace": "bench.real_pace",
    "inbound_latency": "bench.inbound_latency",
    "sighting_forward": "bench.sighting_forward",
    "sighting_broadcast": "bench.sighting_broadcast",
    "pool": "bench.pool",
    "subscriber_import": "bench.subscriber_import",
    "fanout": "bench.fanout",
    "overflow": "bench.overflow",
    "idle": "bench.idle",
    "scale_out": "bench.scale_out",
    "console": "bench.console",
    "cli_start": "bench.cli_start",
    "micro": "bench.micro",
    "api_send": "bench.api_send",
}


def run_one(name: str, keep: bool) -> list[Row]:
    workdir = Path(tempfile.mkdtemp(prefix=f"smsgw-bench-{name}-"))
    started = time.monotonic()
    print(f"running {name} ...", file=sys.stderr, flush=True)
    try:
        module = importlib.import_module(BENCHMARKS[name])
        bench: Callable[[Path], list[Row]] = module.run
        rows = bench(workdir)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        keep = True
        rows = [error_row(f"{name}.error", name, f"{type(exc).__name__}: {exc} ({workdir})")]
    print(f"  {name} took {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    if keep:
        print(f"  work directory kept: {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"some of: {', '.join(BENCHMARKS)} (default: all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep every work directory")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}")
    names = [n for n in BENCHMARKS if n in args.names] if args.names else list(BENCHMARKS)
    started = time.monotonic()
    rows: list[Row] = []
    for name in names:
        rows.extend(run_one(name, args.keep))
    from bench.peer_daemon import compare

    rows.extend(compare(rows))
    info = machine()
    write_json(rows, info, time.monotonic() - started)
    print(table(rows, info))
    print(f"({time.monotonic() - started:.0f} s; figures also in bench/results.json)")
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
