"""doctor, backup: looking after a gateway that runs for years."""

from __future__ import annotations

import argparse

from gateway.cli.common import fail, load_config, print_json
from gateway.core import backup as backup_mod
from gateway.doctor import checks as doctor_mod
from gateway.doctor.check import Check


def doctor(args: argparse.Namespace) -> int:
    """Exit 0 when nothing failed (warnings allowed), 1 when a check failed; a config that
    does not load is exit 2, raised from load_config like every command's."""
    config = load_config(args)
    found: list[Check] = []
    for check in doctor_mod.run(config):
        found.append(check)
        if not args.json:
            print(check.line(), flush=True)
    if args.json:
        print_json([c.as_dict() for c in found])
    return 0 if all(c.ok for c in found) else 1


def backup(args: argparse.Namespace) -> int:
    config = load_config(args)
    try:
        made = backup_mod.backup(config.database.url, args.file, force=args.force)
    except backup_mod.WrongTool as exc:
        return fail(f"{config.path}: {exc}", 2)
    except backup_mod.BackupError as exc:
        return fail(str(exc))
    counts = ", ".join(f"{n} {word}" for word, n in made.counts.items())
    print(f"{made.path}: {made.size / 1e6:.1f} MB, integrity ok, {counts}")
    return 0
