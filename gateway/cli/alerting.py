"""alert: broadcast to lists, now or at a time, perhaps only to the members near a place,
or only show what it would cost."""

from __future__ import annotations

import argparse

from gateway.alerts.compose import Composed, NoText, TimePassed, compose_alert
from gateway.alerts.near import BadPlace, BadRadius, Near, NoPlace, NoRadius, near_alert
from gateway.alerts.preview import AlertPreview, near_summary, preview_alert
from gateway.alerts.service import AlertError, phase
from gateway.alerts.templates import TemplateError, Templates
from gateway.cli.common import fail, load_config, open_db, open_services, print_json
from gateway.core import audit, clock
from gateway.core.config import Config
from gateway.core.errors import GatewayError
from gateway.core.geo import places


def _compose(args: argparse.Namespace, templates: Templates, timezone: str) -> Composed:
    """The shared compose step, with its errors in the words of this command's options."""
    try:
        return compose_alert(
            templates,
            text=args.text or None,
            template=args.template or None,
            fields=dict(field.split("=", 1) for field in args.field or [] if "=" in field),
            footer=args.footer,
            send_at="" if args.preview else args.at or "",
            zone=timezone,
        )
    except NoText:
        raise AlertError("give --text, or --template with --field NAME=VALUE") from None
    except clock.BadTime as exc:
        raise AlertError(f"--at {exc}") from None
    except TimePassed:
        raise AlertError(f"--at {args.at} is in the past") from None


def _near(args: argparse.Namespace, config: Config) -> Near | None:
    """The shared place step, with its errors in the words of this command's options."""
    if args.near is None and args.radius_km is None and not args.include_unplaced:
        return None  # the whole lists: no gazetteer to build
    try:
        return near_alert(args.near, args.radius_km, args.include_unplaced, places(config))
    except NoRadius:
        raise AlertError("--near needs --radius-km K (km, above 0 to 100)") from None
    except NoPlace:
        flag = "--radius-km" if args.radius_km is not None else "--include-unplaced"
        raise AlertError(f"{flag} needs --near PLACE_OR_GRIDREF") from None
    except BadRadius as exc:
        raise AlertError(f"--radius-km: {exc}") from None
    except BadPlace as exc:
        raise AlertError(f"--near: {exc}") from None


def show(p: AlertPreview) -> None:
    v, e = p.preview, p.estimate
    print(v.text)
    print(
        f"--\n{v.encoding}, {v.characters} characters, {v.parts} part(s) a message, "
        f"{v.recipients} recipient(s), {v.total_parts} part(s) in all"
    )
    if p.near is not None:
        print(near_summary(p))
    for r in v.replaced:
        print(f"replaced {r.original!r} with {r.replacement!r} ({r.count}x)")
    if v.unencodable:
        print("forces UCS-2: " + " ".join(v.unencodable))
    if e.seconds is not None:
        print(f"finishes in about {e.seconds / 60:.0f} min at {e.per_minute:.0f} a minute")
    if not e.covered:
        print(
            f"WARNING: the modems' budgets for today cover {e.sendable_today}; "
            f"{e.shortfall} would wait until tomorrow"
        )
    if len(p.channels) > 1 or any(c.channel != "sim" for c in p.channels):
        for c in p.channels:
            cost = f", {c.credits:g} credit(s)" if c.credits is not None else ""
            when = "not today" if c.seconds is None else f"about {c.seconds / 60:.0f} min"
            print(f"by {c.channel}: {c.recipients} recipient(s){cost}, {when}")


def alert(args: argparse.Namespace) -> int:
    config = load_config(args)
    services = open_services(config)
    engine = services.engine
    try:
        draft = _compose(args, Templates(engine), config.gateway.timezone)
        near = _near(args, config)
        if args.preview:
            show(
                preview_alert(
                    engine,
                    services.subscribers,
                    draft.text,
                    args.list,
                    footer=draft.footer,
                    smart=not args.no_smart,
                    settings=config.modems,
                    reach=services.alerts.reach,
                    near=near,
                )
            )
            return 0
        made = services.alerts.create(
            draft.text,
            args.list,
            by="cli",
            send_at=draft.send_at,
            footer=draft.footer,
            smart=not args.no_smart,
            near=near.centre if near else None,
            radius_km=near.radius_km if near else None,
            include_unplaced=near.include_unplaced if near else False,
            near_text=near.text if near else "",
        )
    except GatewayError as exc:
        return fail(str(exc), 2)
    print(made.ref)
    return 0


def alerts_cmd(args: argparse.Namespace) -> int:
    """alerts [--json] | alerts cancel REF | alerts resend REF."""
    alerts = open_services(load_config(args)).alerts
    try:
        if args.alerts_cmd == "cancel":
            print(f"{args.ref}: {alerts.cancel(args.ref, by='cli')} message(s) stopped")
            return 0
        if args.alerts_cmd == "resend":
            print(f"{args.ref}: {alerts.resend_failed(args.ref, by='cli')} failed queued again")
            return 0
    except AlertError as exc:
        return fail(str(exc), 2)
    rows = alerts.recent_with_progress(args.limit)
    channels = alerts.by_channel([a.id for a, _ in rows])
    if args.json:
        print_json(
            [
                {
                    "ref": a.ref,
                    "status": phase(a, p),
                    "text": a.text,
                    "recipients": a.recipients,
                    "created_by": a.created_by,
                    "created_at": a.created_at.isoformat() + "Z",
                    "send_at": a.send_at.isoformat() + "Z" if a.send_at else None,
                    "progress": p,
                    "by_channel": channels[a.id],
                    "near": a.near.as_json() if a.near else None,
                }
                for a, p in rows
            ]
        )
        return 0
    for a, p in rows:
        shown = ", ".join(f"{state} {n}" for state, n in p.items() if n)
        print(f"{a.ref}  {a.created_at:%Y-%m-%d %H:%M}  {phase(a, p):<9} {shown}  {a.text[:60]}")
        if a.near is not None:
            print(f"        {a.near.audited().strip()}")
        if len(channels[a.id]) > 1 or set(channels[a.id]) - {"sim"}:
            for channel, states in sorted(channels[a.id].items()):
                each = ", ".join(f"{state} {n}" for state, n in states.items())
                print(f"        by {channel}: {each}")
    return 0


def templates_cmd(args: argparse.Namespace) -> int:
    """templates [--json] | templates add NAME --body TEXT."""
    config = load_config(args)
    engine = open_db(config)
    templates = Templates(engine)
    if args.templates_cmd == "add":
        try:
            made = templates.add(args.name, args.body, by="cli")
        except TemplateError as exc:
            return fail(str(exc), 2)
        audit.record(engine, "cli", "template-added", made.name)
        print(f"template {made.name} added; fields: {', '.join(made.fields) or 'none'}")
        return 0
    found = templates.all()
    if args.json:
        print_json([{"name": t.name, "body": t.body, "fields": t.fields} for t in found])
        return 0
    for t in found:
        print(f"{t.name}: {t.body}")
    return 0
