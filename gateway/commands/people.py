"""lists, subscribers, qr: the subscriber side from the command line."""

from __future__ import annotations

import argparse
import dataclasses

from gateway import audit
from gateway.commands.common import fail, load_config, open_db, print_json
from gateway.subscribers import SubscriberError, Subscribers


def lists(args: argparse.Namespace) -> int:
    config = load_config(args)
    subs = Subscribers(open_db(config), config.gateway.country)
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
