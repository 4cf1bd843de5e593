"""`smsgw patrols` (points, the briefing sheet) and `smsgw qr --patrol`."""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.cli.common import fail, load_config, open_db, print_json
from gateway.core.errors import GatewayError


def patrols_cmd(args: argparse.Namespace) -> int:
    from gateway.rota.patrols import Patrols

    config = load_config(args)
    patrols = Patrols(open_db(config), config)
    sub = getattr(args, "patrols_cmd", None)
    try:
        if sub == "add":
            p = patrols.add(args.code, args.name, args.location or "")
            print(f"patrol point {p.code} ({p.name}) added")
            return 0
        if sub == "sheet":
            return _sheet(patrols, args)
    except GatewayError as exc:
        return fail(str(exc), 2)
    points = patrols.points()
    if args.json:
        print_json([p.as_json() for p in points])
        return 0
    for p in points:
        print(f"{p.code:<12} {p.name}  {p.location}".rstrip())
    return 0


def _sheet(patrols: object, args: argparse.Namespace) -> int:
    from gateway.rota.patrol_sheet import briefing_svg
    from gateway.rota.patrol_suggest import recent_near
    from gateway.rota.patrols import Patrols

    assert isinstance(patrols, Patrols)
    config = patrols.config
    if not config.gateway.number:
        return fail(f"{config.path}: set gateway.number for the sheet's QR codes", 2)
    suggestion = patrols.suggested(days=args.days)
    nearby = recent_near(patrols.engine, patrols.points(), args.days)
    svg = briefing_svg(
        suggestion,
        nearby,
        number=config.gateway.number,
        region=config.gateway.country,
        zone=config.gateway.timezone,
    )
    try:
        Path(args.out).write_text(svg, encoding="utf-8")
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror or exc}", 1)
    print(f"briefing sheet written to {args.out}")
    return 0


def qr(args: argparse.Namespace) -> int:
    """A list's join badge (people.qr) or a patrol point's check-in code."""
    if args.list:
        from gateway.cli.people import qr as badge

        return badge(args)
    from gateway.rota.patrol_qr import write_patrol_qr
    from gateway.rota.patrols import Patrols

    config = load_config(args)
    number = config.gateway.number
    if not number:
        return fail(f"{config.path}: set gateway.number (the gateway's own number) for QR codes", 2)
    try:
        point = Patrols(open_db(config), config).point(args.patrol)
        if point is None:
            return fail(f"no patrol point {args.patrol.strip().upper()!r}", 2)
        out = write_patrol_qr(number, point.code, args.out, region=config.gateway.country)
    except GatewayError as exc:
        return fail(str(exc), 2)
    print(f"QR code for {point.code} written to {out}")
    return 0
