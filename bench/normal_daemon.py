"""`python -m bench.normal_daemon --config FILE`: `smsgw daemon` with SQLite's
`synchronous=NORMAL`, so the throughput benchmark can show what FULL costs end to end.
The gateway itself always runs FULL (gateway/core/db.py); this launcher exists for that
comparison only.
"""

from __future__ import annotations

import argparse

from gateway.app.daemon import Daemon
from gateway.core import config as config_mod
from gateway.core import logsetup
from gateway.core.db import make_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.normal_daemon", description=__doc__)
    parser.add_argument("--config", required=True, help="the daemon's config file")
    args = parser.parse_args(argv)
    logsetup.configure("INFO", service=True)  # as `smsgw daemon` logs: part of its cost
    config = config_mod.load(args.config)
    engine = make_engine(config.database.url, synchronous="NORMAL")
    return Daemon(config, engine=engine).serve()


if __name__ == "__main__":
    raise SystemExit(main())
