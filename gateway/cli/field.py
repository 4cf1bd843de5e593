"""sightings, rota: the field side from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.cli.common import fail, load_config, open_services, print_json
from gateway.core import clock
from gateway.core.errors import GatewayError
from gateway.core.phone import normalise
from gateway.sightings.queries import as_json


def sightings(args: argparse.Namespace) -> int:
    rows = open_services(load_config(args)).sightings.recent(max(1, args.limit))
    if args.json:
        print_json([as_json(s) for s in rows])
        return 0
    for s in rows:
        flags = " HOT" if s.hot else ""
        regs = ", ".join(s.registrations)
        print(
            f"{s.ref} {s.created_at:%Y-%m-%d %H:%M} {s.status:<12}{flags} {regs} "
            f"{s.place} [{s.sender_name or s.sender}] {s.text}"
        )
    return 0


def rota(args: argparse.Namespace) -> int:
    config = load_config(args)
    duty = open_services(config).rota
    try:
        if args.rota_cmd == "add-operator":
            pin = Path(args.pin_file).read_text().strip() if args.pin_file else ""
            op = duty.add_operator(args.name, args.phone, pin)
            print(f"operator {op.id} {op.name} {op.phone}")
            return 0
        if args.rota_cmd == "add-shift":
            found = duty.operator_by_phone(normalise(args.phone, config.gateway.country))
            if found is None:
                return fail(f"no operator with number {args.phone}", 2)
            start = clock.parse_local(args.start, config.gateway.timezone)
            end = clock.parse_local(args.end, config.gateway.timezone)
            print(duty.add_shift(found.id, start, end, role=args.role, by="cli"))
            return 0
    except (GatewayError, OSError) as exc:
        return fail(str(exc), 2)
    gaps = duty.gaps(days=args.days)
    if args.json:
        print_json(
            [
                {
                    "start": g.start.isoformat() + "Z",
                    "end": g.end.isoformat() + "Z",
                    "hours": round(g.hours, 2),
                }
                for g in gaps
            ]
        )
        return 0
    if not gaps:
        print(f"no gaps in the next {args.days:g} days")
    for g in gaps:
        print(
            f"{g.start:%a %d %b %H:%M} - {g.end:%a %d %b %H:%M} UTC: nobody on duty "
            f"({g.hours:.1f} h)"
        )
    return 0
