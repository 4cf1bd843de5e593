"""The `smsgw` command line. Exit status 0 on success; a failure prints one line on
standard error and exits non-zero (2 for bad usage or bad config).

Each command names its handler as "module:function" in gateway.cli, imported only when
that command runs: the parser needs none of them, and `smsgw send` loads the outbox, not
the console, the scheduler or the emulator (tests/test_cli_imports.py holds it to that).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import cast

log = logging.getLogger("smsgw")

SERVICES = frozenset({"demo", "run", "daemon", "web"})

Handler = Callable[[argparse.Namespace], int]


def handler_for(spec: str) -> Handler:
    """The function a "module:function" spec names, its module imported now."""
    module, _, name = spec.partition(":")
    return cast(Handler, getattr(importlib.import_module(f"gateway.cli.{module}"), name))


def days_arg(text: str) -> float:
    value = float(text)
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError("--days is more than 0 and at most 60")
    return value


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        default=None,
        help="config file (default: $SMSGW_CONFIG, then /etc/smsgw/config.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsgw", description="Rural SMS alert gateway")
    parser.add_argument(
        "--log-level",
        default=None,
        help="DEBUG, INFO, WARNING (default: INFO for services, WARNING for one-shot commands)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cmd(name: str, handler: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = cmd("demo", "system:demo", "whole system on emulated modems with demo data")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--dir", default="demo-data")
    p.add_argument("--duration", type=float, default=0.0, help=argparse.SUPPRESS)
    for name, handler, text in (
        ("run", "system:run", "daemon and console in one process"),
        ("daemon", "system:daemon", "the gateway alone: modems, outbox, inbound"),
        ("web", "system:web", "the console alone"),
    ):
        _add_config(cmd(name, handler, text))

    p = sub.add_parser("emulator", help="an AT-command modem on a pseudo-terminal", add_help=False)
    p.set_defaults(handler="system:emulator")
    p.add_argument("rest", nargs=argparse.REMAINDER)

    modem = sub.add_parser("modem", help="modem tools").add_subparsers(
        dest="modem_cmd", required=True
    )
    p = modem.add_parser("probe", help="identify a modem")
    p.set_defaults(handler="system:probe")
    p.add_argument("port")
    p.add_argument("--driver", choices=("at", "gammu"), default="at")
    p.add_argument("--baudrate", type=int, default=115200)
    p.add_argument("--pin", default="")
    p.add_argument("--json", action="store_true")
    p = modem.add_parser("list", help="serial ports that look like GSM modems")
    p.set_defaults(handler="system:modem_list")
    p.add_argument("--json", action="store_true")

    p = cmd("send", "messaging:send", "queue one message; prints its id")
    _add_config(p)
    p.add_argument("--to", required=True)
    p.add_argument("--text", required=True)
    p.add_argument(
        "--priority",
        choices=("duty", "urgent", "normal", "bulk"),  # outbox.PRIORITIES, most pressing first
        default="normal",
        help="duty overtakes alerts: keep it for what officers depend on",
    )

    p = cmd("alert", "alerting:alert", "broadcast to lists, now or at a time; prints the reference")
    _add_config(p)
    p.add_argument("--list", action="append", required=True, help="a list's name or keyword")
    p.add_argument("--text", default=None)
    p.add_argument("--template", default=None, help='a template\'s name, e.g. "suspect vehicle"')
    p.add_argument("--field", action="append", help="NAME=VALUE for the template's fields")
    p.add_argument("--footer", default="", help='a last line, e.g. "Reply STOP to opt out"')
    p.add_argument("--no-smart", action="store_true", help="keep characters that force UCS-2")
    p.add_argument("--preview", action="store_true", help="show cost, reach and time; send nothing")
    p.add_argument("--at", default=None, help="ISO time; local time when no zone is given")
    p.add_argument(
        "--near", default=None, help='only members near: "TF 783 385", "52.90,0.63", a place'
    )
    p.add_argument("--radius-km", default=None, help="with --near: how far, above 0 to 100 km")
    p.add_argument(
        "--include-unplaced", action="store_true", help="with --near: and members with no location"
    )

    p = cmd("alerts", "alerting:alerts_cmd", "recent alerts and their progress; cancel; resend")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    alerts_sub = p.add_subparsers(dest="alerts_cmd")
    for name, text in (
        ("cancel", "stop what no modem has taken yet"),
        ("resend", "queue again only the recipients whose message failed"),
    ):
        q = alerts_sub.add_parser(name, help=text)
        q.set_defaults(handler="alerting:alerts_cmd")
        _add_config(q)
        q.add_argument("ref")

    p = cmd("templates", "alerting:templates_cmd", "alert templates")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    templates_sub = p.add_subparsers(dest="templates_cmd")
    q = templates_sub.add_parser("add", help="add a template; fields are written {name}")
    q.set_defaults(handler="alerting:templates_cmd")
    _add_config(q)
    q.add_argument("name")
    q.add_argument("--body", required=True)

    p = cmd("status", "messaging:status", "message counts by state and modem health")
    _add_config(p)
    p.add_argument("--json", action="store_true")

    p = cmd("inbox", "messaging:inbox", "received messages, newest first")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)

    p = cmd("lists", "people:lists", "subscriber lists and their join keywords")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    lists_sub = p.add_subparsers(dest="lists_cmd")
    p = lists_sub.add_parser("add", help="create a list with its join keyword")
    p.set_defaults(handler="people:lists")
    _add_config(p)
    p.add_argument("name")
    p.add_argument("--keyword", required=True)
    p.add_argument("--description", default="")

    subscribers = sub.add_parser("subscribers", help="subscriber CSV import and export")
    subscribers_sub = subscribers.add_subparsers(dest="subscribers_cmd", required=True)
    p = subscribers_sub.add_parser(
        "import", help="CSV with header phone,name,lists[,email,channel,location]"
    )
    p.set_defaults(handler="people:subscribers_import")
    _add_config(p)
    p.add_argument("file")
    p.add_argument("--skip-bad", action="store_true", help="import the good rows anyway")
    p = subscribers_sub.add_parser("export", help="CSV: phone,name,lists,email,channel,location")
    p.set_defaults(handler="people:subscribers_export")
    _add_config(p)
    p.add_argument("file")

    reports_cmd = sub.add_parser("reports", help="spreadsheets of sightings, alerts, patrols")
    p = reports_cmd.add_subparsers(dest="reports_cmd", required=True).add_parser(
        "export", help="an .xlsx workbook: sheets Sightings, Alerts, Patrols"
    )
    p.set_defaults(handler="reporting:export")
    _add_config(p)
    p.add_argument("file")
    p.add_argument("--from", dest="first", default=None, help="first local day, YYYY-MM-DD")
    p.add_argument("--to", dest="last", default=None, help="last local day (default: today)")
    p.add_argument("--mask-numbers", action="store_true", help="as a viewer sees them")

    p = cmd("sightings", "field:sightings", "sighting reports, newest first")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=50)

    rota = sub.add_parser("rota", help="the duty rota").add_subparsers(
        dest="rota_cmd", required=True
    )
    p = rota.add_parser("gaps", help="stretches in the coming days with nobody on duty")
    p.set_defaults(handler="field:rota")
    _add_config(p)
    p.add_argument("--days", type=days_arg, default=7.0)
    p.add_argument("--json", action="store_true")
    p = rota.add_parser("add-operator", help="an officer or member of staff")
    p.set_defaults(handler="field:rota")
    _add_config(p)
    p.add_argument("name")
    p.add_argument("--phone", required=True)
    p.add_argument(
        "--pin-file", default=None, help="a file holding the PIN for RELAY and CLOSE by SMS"
    )
    p = rota.add_parser("add-shift", help="a shift; times in ISO, local when no zone")
    p.set_defaults(handler="field:rota")
    _add_config(p)
    p.add_argument("--phone", required=True, help="the operator's number")
    p.add_argument("--start", required=True)
    p.add_argument("--end", required=True)
    p.add_argument("--role", choices=("primary", "backup"), default="primary")

    p = cmd("qr", "patrols:qr", "a list's \"scan to join\" badge, or a patrol point's code")
    _add_config(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", default=None)
    which.add_argument("--patrol", default=None, help="a patrol point's code")
    p.add_argument("--out", required=True, help="FILE.svg or FILE.png")

    p = cmd("patrols", "patrols:patrols_cmd", "patrol points, their briefing sheet and visits")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    patrols_sub = p.add_subparsers(dest="patrols_cmd")
    q = patrols_sub.add_parser("add", help="a patrol point: a field gate, a lay-by")
    q.set_defaults(handler="patrols:patrols_cmd")
    _add_config(q)
    q.add_argument("code")
    q.add_argument("--name", required=True)
    q.add_argument("--location", default="", help='a grid reference, "lat,lon" or a place')
    q = patrols_sub.add_parser("sheet", help="the printable A4 briefing sheet (SVG)")
    q.set_defaults(handler="patrols:patrols_cmd")
    _add_config(q)
    q.add_argument("--out", required=True, help="FILE.svg")
    q.add_argument("--days", type=days_arg, default=14.0, help="sightings from the last N days")
    q = patrols_sub.add_parser("visits", help="check-ins texted in, newest first")
    q.set_defaults(handler="patrol_visits:visits")
    _add_config(q)
    q.add_argument("--json", action="store_true")
    q.add_argument("--days", type=days_arg, default=None, help="only the last N days")

    user = sub.add_parser("user", help="console logins").add_subparsers(
        dest="user_cmd", required=True
    )
    p = user.add_parser("add", help="create a console login")
    p.set_defaults(handler="accounts:user_add")
    _add_config(p)
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, choices=("admin", "operator", "viewer"))
    p.add_argument("--password-file", default=None, help="read the password from this file")

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="token_cmd", required=True
    )
    p = token.add_parser("add", help="a new API token for a user; printed once")
    p.set_defaults(handler="tokens:token_add")
    _add_config(p)
    p.add_argument("--username", required=True)
    p.add_argument("--name", default="", help="what the token is for, e.g. the incident system")
    p = token.add_parser("list", help="API tokens, never their values")
    p.set_defaults(handler="tokens:token_list")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    p = token.add_parser("revoke", help="stop a token at once")
    p.set_defaults(handler="tokens:token_revoke")
    _add_config(p)
    p.add_argument("id", type=int)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_cmd", required=True)
    p = db.add_parser("upgrade", help="apply migrations")
    p.set_defaults(handler="system:db_upgrade")
    _add_config(p)

    p = cmd("doctor", "maintenance:doctor", "check config, database, modems, disk and clock")
    _add_config(p)
    p.add_argument("--json", action="store_true")
    p = cmd("backup", "maintenance:backup", "a consistent copy of the SQLite database, live")
    _add_config(p)
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:  # its options belong to the emulator's own parser
        return handler_for("system:emulator")(argparse.Namespace(rest=args_list[1:]))
    parser = build_parser()
    args = parser.parse_args(args_list)
    # Past --help and bad usage: now load what running a command takes.
    from gateway.cli.common import UsageError, close_databases, fail
    from gateway.core import logsetup
    from gateway.core.config import ConfigError

    service = args.command in SERVICES
    level = args.log_level or ("INFO" if service else "WARNING")
    logsetup.configure(str(level), service=service)
    handler = handler_for(args.handler)
    try:
        return handler(args)
    except ConfigError as exc:
        return fail(str(exc), 2)
    except UsageError as exc:
        return fail(str(exc), 2)
    except KeyboardInterrupt:
        return 130
    finally:
        close_databases()


if __name__ == "__main__":
    raise SystemExit(main())
