"""The webhook delivery thread: POSTs each queued event to its webhook, signed, until the
receiver answers 2xx.

At least once: a row is claimed for a lease before its POST and marked delivered after
the 2xx, so a crash in between means one more POST of the same event id, never none. It
runs in its own thread with short timeouts and short transactions, so a dead receiver
delays other events, never an SMS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, select, update

from gateway.core.clock import utcnow
from gateway.core.hook_models import WebhookEvent
from gateway.core.hooks_config import WebhookConfig

log = logging.getLogger(__name__)

RETRY_MAX = 3600.0  # the longest wait between two tries of one event
LEASE = 120.0  # seconds a claimed row waits before another try may claim it again
BATCH = 20  # rows claimed per look


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-Smsgw-Signature header: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def body_of(row: Row[Any]) -> bytes:
    """The same bytes on every try of one event (the id, type, time and data are stored)."""
    at = row.at.isoformat(timespec="milliseconds") + "Z"
    event = {"id": row.id, "type": row.type, "at": at, "data": json.loads(row.data)}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer that is not 2xx: tried again later, not followed


_opener = urllib.request.build_opener(_NoRedirect)


class HookFailed(Exception):
    """One POST did not get a 2xx; the message is kept as the row's last_error."""


def post(hook: WebhookConfig, row: Row[Any]) -> None:
    """One signed POST of one event; raises HookFailed unless the receiver says 2xx."""
    try:
        secret = Path(hook.secret_file).read_text().strip().encode()
    except OSError as exc:
        raise HookFailed(f"cannot read {hook.secret_file}: {exc.strerror}") from None
    if not secret:
        raise HookFailed(f"{hook.secret_file} is empty")
    body = body_of(row)
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "smsgw-webhook",
            "X-Smsgw-Event": row.type,
            "X-Smsgw-Timestamp": stamp,
            "X-Smsgw-Signature": sign(secret, stamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=hook.timeout) as answer:
            code = answer.status
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HookFailed(f"no answer: {reason}") from None
    if not 200 <= code < 300:
        raise HookFailed(f"HTTP {code}")


def retry_delay(hook: WebhookConfig, attempts: int) -> float:
    """retry_base after the first failure, doubling, at most RETRY_MAX."""
    return float(min(RETRY_MAX, hook.retry_base * 2 ** max(0, attempts - 1)))


class WebhookWorker(threading.Thread):
    """One thread for every webhook: claims due rows, posts them, records the outcome."""

    def __init__(self, engine: Engine, webhooks: Sequence[WebhookConfig], poll: float = 1.0):
        super().__init__(name="webhooks", daemon=True)
        self.engine = engine
        self.hooks = {w.url: w for w in webhooks}
        self.poll = poll
        self.stopping = threading.Event()
        self.turned_at = time.monotonic()  # for the daemon's stall check

    def run(self) -> None:
        while not self.stopping.is_set():
            self.turned_at = time.monotonic()
            try:
                busy = self.turn()
            except Exception:
                log.exception("webhook delivery failed; trying again shortly")
                busy = 0
            if not busy:
                self.stopping.wait(self.poll)

    def stop(self) -> None:
        self.stopping.set()

    def turn(self, now: datetime | None = None) -> int:
        """Claim and post what is due; returns how many rows were tried."""
        tried = 0
        for row in self._claim(now or utcnow()):
            if self.stopping.is_set():
                break
            self._deliver(row)
            tried += 1
        return tried

    def _claim(self, now: datetime) -> list[Row[Any]]:
        due = (
            select(WebhookEvent)
            .where(
                WebhookEvent.delivered_at.is_(None),
                WebhookEvent.next_attempt_at <= now,
                WebhookEvent.url.in_(list(self.hooks)),
            )
            .order_by(WebhookEvent.next_attempt_at, WebhookEvent.at)
            .limit(BATCH)
        )
        won = []
        with self.engine.begin() as conn:
            for row in conn.execute(due).all():
                taken = conn.execute(
                    update(WebhookEvent)
                    .where(
                        WebhookEvent.id == row.id,
                        WebhookEvent.url == row.url,
                        WebhookEvent.next_attempt_at == row.next_attempt_at,
                        WebhookEvent.delivered_at.is_(None),
                    )
                    .values(next_attempt_at=now + timedelta(seconds=LEASE))
                ).rowcount
                if taken:
                    won.append(row)
        return won

    def _deliver(self, row: Row[Any]) -> None:
        hook = self.hooks[row.url]
        attempts = row.attempts + 1
        where = (WebhookEvent.id == row.id, WebhookEvent.url == row.url)
        try:
            post(hook, row)
        except HookFailed as exc:
            wait = retry_delay(hook, attempts)
            values: dict[str, object] = {
                "attempts": attempts,
                "last_error": str(exc),
                "next_attempt_at": utcnow() + timedelta(seconds=wait),
            }
            log.warning(
                "webhook %s: %s %s failed (%s); try %d again in %.0f s",
                row.url, row.type, row.id, exc, attempts + 1, wait,
            )  # fmt: skip
        else:
            values = {"attempts": attempts, "delivered_at": utcnow(), "last_error": None}
            log.info("webhook %s: %s %s delivered", row.url, row.type, row.id)
        with self.engine.begin() as conn:
            conn.execute(update(WebhookEvent).where(*where).values(**values))
