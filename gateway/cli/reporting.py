"""reports export: the console's workbook from the command line, for a cron job."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.cli.common import fail, load_config, open_db

DEFAULT_DAYS = 30


def export(args: argparse.Namespace) -> int:
    from gateway.app import reports, workbook

    config = load_config(args)
    zone = ZoneInfo(config.gateway.timezone)
    try:
        last = date.fromisoformat(args.last) if args.last else reports.last_days(1, zone).last
        first = (
            date.fromisoformat(args.first)
            if args.first
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
        period = reports.Period(first, last, zone)
    except ValueError as exc:  # ReportError is a ValueError too
        return fail(
            str(exc) if isinstance(exc, reports.ReportError) else "give dates as YYYY-MM-DD", 2
        )
    data = workbook.export(open_db(config), period, show_numbers=not args.mask_numbers)
    try:
        Path(args.file).write_bytes(data)
    except OSError as exc:
        return fail(f"cannot write {args.file}: {exc.strerror}")
    print(f"{args.file}: sightings, alerts and patrols from {period.first} to {period.last}")
    return 0
