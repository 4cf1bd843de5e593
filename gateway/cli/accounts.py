"""user add: console logins."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from gateway.cli.common import UsageError, fail, load_config, open_db
from gateway.core import audit, users


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            return Path(args.password_file).read_text().strip()
        except OSError as exc:
            raise UsageError(f"cannot read {args.password_file}: {exc.strerror}") from None
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for a password: use --password-file")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise UsageError("the two passwords differ")
    return first


def user_add(args: argparse.Namespace) -> int:
    config = load_config(args)
    password = _password(args)
    engine = open_db(config)
    try:
        account = users.add(engine, args.username, password, args.role)
    except users.UserError as exc:
        return fail(str(exc), 2)
    audit.record(engine, "cli", "user-added", f"{account.username} as {account.role}")
    print(f"user {account.username} added as {account.role}")
    return 0
