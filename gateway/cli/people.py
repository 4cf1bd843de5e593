"""lists, subscribers, qr: the subscriber side from the command line."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from gateway.cli.common import fail, load_config, open_db, open_services, print_json
from gateway.core import audit
from gateway.core.errors import GatewayError
from gateway.subscribers.service import SubscriberError


def lists(args: argparse.Namespace) -> int:
    config = load_config(args)
    subs = open_services(config).subscribers
    if getattr(args, "lists_cmd", None) == "add":
        try:
            made = subs.add_list(args.name, args.keyword, args.description)
        except SubscriberError as exc:
            return fail(str(exc), 2)
        audit.record(subs.engine, "cli", "list-added", f"{made.name} ({made.keyword})")
        print(f"list {made.name} added: people join by texting JOIN {made.keyword}")
        return 0
    found = subs.lists()
    if args.json:
        print_json([dataclasses.asdict(x) for x in found])
        return 0
    if not found:
        print("no lists yet: smsgw lists add NAME --keyword WORD")
    for x in found:
        print(f"{x.keyword:<12} {x.members:>6} members  {x.name}")
    return 0


def qr(args: argparse.Namespace) -> int:
    from gateway.subscribers.badge import make_badge

    config = load_config(args)
    number = config.gateway.number
    if not number:
        return fail(f"{config.path}: set gateway.number (the gateway's own number) for badges", 2)
    subs = open_services(config).subscribers
    try:
        target = subs.require_list(args.list)
        out = make_badge(
            number, target.keyword, target.name, args.out, region=config.gateway.country
        )
    except GatewayError as exc:
        return fail(str(exc), 2)
    print(f"badge for {target.name} written to {out}")
    return 0


def subscribers_import(args: argparse.Namespace) -> int:
    from gateway.subscribers import csv_io

    config = load_config(args)
    engine = open_db(config)
    try:
        report = csv_io.import_csv(
            engine,
            args.file,
            country=config.gateway.country,
            skip_bad=args.skip_bad,
            by="cli",
            gazetteer=config.rota.gazetteer,
        )
    except (csv_io.CsvError, csv_io.ImportConflict, OSError) as exc:
        return fail(f"{args.file}: {exc}", 1)
    for bad in report.bad:
        print(f"{args.file}:{bad.line}: {bad.reason}", file=sys.stderr)
    if report.bad and not args.skip_bad:
        return fail(f"{len(report.bad)} bad row(s): nothing imported (fix them, or --skip-bad)")
    print(
        f"{report.imported} people from {report.rows} rows: {report.new_subscribers} new, "
        f"{report.merged} rows merged, {report.memberships} memberships added, "
        f"{report.stopped} still stopped, {report.kept_left} left lists kept left"
    )
    return 0


def subscribers_export(args: argparse.Namespace) -> int:
    from gateway.subscribers import csv_io

    config = load_config(args)
    try:
        count = csv_io.export_csv(open_db(config), args.file, by="cli")
    except (csv_io.CsvError, OSError) as exc:
        return fail(f"{args.file}: {exc}", 1)
    print(f"{count} subscribers written to {args.file}")
    return 0
