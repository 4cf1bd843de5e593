"""smsgw doctor on the webhooks: each secret readable, and the outbox not backing up.

A missing secret fails (nothing can be signed, so nothing goes); events waiting after a
failure warn; an event undelivered for over STUCK seconds fails, since the force's
system has then been blind for that long.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from gateway.core import events
from gateway.core.clock import utcnow
from gateway.core.config import Config
from gateway.doctor.check import Check, fail, ok, warn

STUCK = 3600.0  # seconds an event may wait before doctor fails


def webhook_checks(config: Config, engine: Engine | None) -> Iterator[Check]:
    for i, hook in enumerate(config.webhooks):
        name = f"webhook[{i}]"
        try:
            secret = Path(hook.secret_file).read_text().strip()
        except OSError as exc:
            yield fail(
                name,
                f"cannot read secret_file {hook.secret_file}: {exc.strerror}",
                "write one line of random text there (`openssl rand -hex 32`), readable "
                "by the gateway's user, and give the same to the receiver",
            )
            continue
        if not secret:
            yield fail(name, f"{hook.secret_file} is empty", "write the signing key there")
        else:
            yield ok(name, f"{hook.url}, {len(hook.events)} event type(s)")
    if engine is None or not config.webhooks:
        return
    try:
        backlog = events.backlog(engine)
    except Exception as exc:  # an old schema: the schema check says so
        yield warn("webhook backlog", f"cannot be read: {exc.__class__.__name__}")
        return
    failed = backlog["oldest_failure"]
    since = backlog["since"]
    if not backlog["waiting"]:
        yield ok("webhook backlog", "nothing waiting")
        return
    detail = f"{backlog['waiting']} event(s) waiting since {since}"
    if failed:
        detail += f"; {failed['url']} last said: {failed['error']}"
    first = datetime.fromisoformat(since.rstrip("Z")) if since else utcnow()
    if utcnow() - first > timedelta(seconds=STUCK):
        yield fail("webhook backlog", detail, "is the receiver up, and its URL right?")
    elif failed:
        yield warn("webhook backlog", detail, "the gateway retries; check the receiver")
    else:
        yield ok("webhook backlog", detail)
