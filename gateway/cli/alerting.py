"""alert: broadcast to lists, now or at a time, or only show what it would cost."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gateway.alerts.cost import PreviewError
from gateway.alerts.preview import AlertPreview, preview_alert
from gateway.alerts.service import AlertError, Alerts, phase
from gateway.alerts.templates import TemplateError, Templates
from gateway.cli.common import fail, load_config, open_db, print_json
from gateway.core import audit
from gateway.core.db import utcnow
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import SubscriberError, Subscribers


def parse_when(text: str, timezone: str) -> datetime:
    """An ISO time; without a zone it is read in the gateway's time zone. Returns naive UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise AlertError(f"--at {text!r} is not an ISO time such as 2026-11-23T06:30") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(UTC).replace(tzinfo=None)


def _text(args: argparse.Namespace, templates: Templates) -> str:
    if args.template:
        found = templates.get(args.template)
        if found is None:
            raise AlertError(f"no template {args.template!r}")
        values = dict(field.split("=", 1) for field in args.field or [] if "=" in field)
        return templates.render(found, values)
    if not args.text:
        raise AlertError("give --text, or --template with --field NAME=VALUE")
    return str(args.text)


def show(p: AlertPreview) -> None:
    v, e = p.preview, p.estimate
    print(v.text)
    print(
        f"--\n{v.encoding}, {v.characters} characters, {v.parts} part(s) a message, "
        f"{v.recipients} recipient(s), {v.total_parts} part(s) in all"
    )
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


def alert(args: argparse.Namespace) -> int:
    config = load_config(args)
    engine = open_db(config)
    subs = Subscribers(engine, config.gateway.country)
    alerts = Alerts(engine, Outbox(engine, config.outbox, config.node), subs)
    try:
        text = _text(args, Templates(engine))
        if args.preview:
            show(
                preview_alert(
                    engine,
                    subs,
                    text,
                    args.list,
                    footer=args.footer,
                    smart=not args.no_smart,
                    settings=config.modems,
                )
            )
            return 0
        send_at = parse_when(args.at, config.gateway.timezone) if args.at else None
        if send_at is not None and send_at <= utcnow():
            return fail(f"--at {args.at} is in the past", 2)
        made = alerts.create(
            text, args.list, by="cli", send_at=send_at, footer=args.footer, smart=not args.no_smart
        )
    except (AlertError, SubscriberError, TemplateError, PreviewError) as exc:
        return fail(str(exc), 2)
    print(made.ref)
    return 0


def alerts_cmd(args: argparse.Namespace) -> int:
    """alerts [--json] | alerts cancel REF | alerts resend REF."""
    config = load_config(args)
    engine = open_db(config)
    alerts = Alerts(
        engine,
        Outbox(engine, config.outbox, config.node),
        Subscribers(engine, config.gateway.country),
    )
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
                }
                for a, p in rows
            ]
        )
        return 0
    for a, p in rows:
        shown = ", ".join(f"{state} {n}" for state, n in p.items() if n)
        print(f"{a.ref}  {a.created_at:%Y-%m-%d %H:%M}  {phase(a, p):<9} {shown}  {a.text[:60]}")
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
