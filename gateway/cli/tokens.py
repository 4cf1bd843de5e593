"""token add, list, revoke: API tokens for scripts and other systems."""

from __future__ import annotations

import argparse
from datetime import datetime

from gateway.cli.common import fail, load_config, open_db, print_json
from gateway.core import tokens


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at else "-"


def token_add(args: argparse.Namespace) -> int:
    engine = open_db(load_config(args))
    try:
        info, secret = tokens.add(engine, args.username, args.name or "")
    except tokens.TokenError as exc:
        return fail(str(exc), 2)
    print(secret)  # the only time it is shown: only its hash is kept
    print(f"token {info.id} for {info.username}: keep it now, it is not shown again", flush=True)
    return 0


def token_list(args: argparse.Namespace) -> int:
    found = tokens.listing(open_db(load_config(args)))
    if args.json:
        print_json(
            [
                {
                    "id": t.id,
                    "user": t.username,
                    "name": t.name,
                    "created_at": t.created_at.isoformat() + "Z",
                    "last_used_at": t.last_used_at.isoformat() + "Z" if t.last_used_at else None,
                    "revoked_at": t.revoked_at.isoformat() + "Z" if t.revoked_at else None,
                }
                for t in found
            ]
        )
        return 0
    if not found:
        print("no API tokens (smsgw token add --username NAME)")
    for t in found:
        state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active"
        print(
            f"{t.id}\t{t.username}\t{t.name or '-'}\tcreated {_when(t.created_at)}\t"
            f"last used {_when(t.last_used_at)}\t{state}"
        )
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    try:
        info = tokens.revoke(open_db(load_config(args)), args.id)
    except tokens.TokenError as exc:
        return fail(str(exc), 1)
    print(f"token {info.id} of {info.username} revoked")
    return 0
