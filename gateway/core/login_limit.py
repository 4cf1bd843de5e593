"""The console's login rate limit: token buckets in the database, one per user name and one
per browser that signed in as that user before.

Keyed on the user name, not the address: behind a reverse proxy every guess comes from
one address, and a botnet has many. But a name's bucket is shared with whoever guesses at
the name, so one wrong password a minute would keep its owner out for good. So a browser
that signed in as a user gets a device cookie (web/device_cookie.py; OWASP's "device
cookies"), and attempts at that user from it draw from a bucket of its own: strangers
share the name's bucket, which a guesser can keep empty, while the owner's known browsers
still get in. A device is forgotten with the user's sessions (a new password,
deactivation) or after DEVICE_LIFETIME without a sign-in.

Each attempt takes a token before the password is checked, with one conditional UPDATE,
so concurrent guesses cannot slip past the limit (on SQLite the write lock serialises
them; PostgreSQL re-checks the WHERE on the row it waited for). A right password gives
its token back, so signing in never costs a user their tries.

A bucket is one number (GCRA): `full_at`, when it would be full again. It holds
`BURST - (full_at - now) / REFILL` tokens; taking one moves `full_at` on by REFILL.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Engine, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.core.db import utcnow
from gateway.core.models import ConsoleDevice, LoginBucket, User

BURST = 5  # guesses in a row before the limit bites
REFILL = 60.0  # seconds for one more guess
DEVICE_LIFETIME = timedelta(days=365)  # a browser unused this long is a stranger again


@dataclass(frozen=True)
class Taken:
    allowed: bool
    retry_after: float  # seconds until a token is back; 0 when allowed
    device: str | None = None  # the known browser's token whose bucket it drew from


def bucket_key(username: str) -> str:
    """Case and surrounding spaces do not make a new bucket."""
    return username.strip().lower()[:64]


def device_hash(token: str) -> str:
    """What the database keeps of a device token: a copy of the database trusts no browser."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginLimit:
    """Buckets of `burst` tries per user name and per known browser, one try back every
    `refill` seconds."""

    def __init__(
        self,
        engine: Engine,
        burst: int = BURST,
        refill: float = REFILL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.burst = burst
        self.refill = refill
        self.clock = clock

    def take(self, username: str, devices: Mapping[int, str] | None = None) -> Taken:
        """Take a token for one attempt at `username`, or say how long to wait. `devices`
        are the device tokens the browser holds, by user id (their signatures checked)."""
        now = self.clock()
        known = self._take_device(username, devices or {}, now)
        if known is not None:  # a known browser draws from its own bucket only
            return known
        key = bucket_key(username)
        for _ in range(2):  # a new name: insert its bucket, or update the one a racer made
            if self._take(LoginBucket, (LoginBucket.username == key,), now):
                return Taken(True, 0.0)
            if self._create(key, now):
                return Taken(True, 0.0)
        with self.engine.connect() as conn:
            full_at = conn.scalar(select(LoginBucket.full_at).where(LoginBucket.username == key))
        return Taken(False, self._wait(full_at, now))

    def give_back(self, username: str, device: str | None = None) -> None:
        """A right password: the attempt costs nothing (and a known browser stays known
        for another DEVICE_LIFETIME)."""
        with self.engine.begin() as conn:
            if device is None:
                conn.execute(
                    update(LoginBucket)
                    .where(LoginBucket.username == bucket_key(username))
                    .values(full_at=LoginBucket.full_at - self.refill)
                )
            else:
                conn.execute(
                    update(ConsoleDevice)
                    .where(ConsoleDevice.token_hash == device_hash(device))
                    .values(full_at=ConsoleDevice.full_at - self.refill, signed_in_at=utcnow())
                )

    def trust(self, user_id: int) -> str:
        """A browser signed in as this user: the token of its device cookie, from now on
        its own bucket (full). Devices unused for DEVICE_LIFETIME are dropped."""
        token, now = secrets.token_urlsafe(32), utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                delete(ConsoleDevice).where(ConsoleDevice.signed_in_at < now - DEVICE_LIFETIME)
            )
            conn.execute(
                insert(ConsoleDevice).values(
                    token_hash=device_hash(token),
                    user_id=user_id,
                    signed_in_at=now,
                    full_at=self.clock(),
                )
            )
        return token

    def _take_device(self, username: str, devices: Mapping[int, str], now: float) -> Taken | None:
        """None unless the browser holds a device token of the active user of exactly this
        name that the database still knows: then the attempt is its bucket's to allow."""
        if not devices:
            return None
        named = (User.id.in_(list(devices)), User.username == username, User.active)
        with self.engine.connect() as conn:
            owner = conn.scalar(select(User.id).where(*named))
        if owner is None:
            return None
        token = devices[owner]
        known = (
            ConsoleDevice.token_hash == device_hash(token),
            ConsoleDevice.user_id == owner,
            ConsoleDevice.signed_in_at >= utcnow() - DEVICE_LIFETIME,
        )
        if self._take(ConsoleDevice, known, now):
            return Taken(True, 0.0, token)
        with self.engine.connect() as conn:
            full_at = conn.scalar(select(ConsoleDevice.full_at).where(*known))
        if full_at is None:  # forgotten (a new password, or too old): a stranger again
            return None
        return Taken(False, self._wait(full_at, now), token)

    def _take(
        self,
        bucket: type[LoginBucket] | type[ConsoleDevice],
        which: tuple[ColumnElement[bool], ...],
        now: float,
    ) -> bool:
        room = now + (self.burst - 1) * self.refill  # full_at beyond this: no token left
        moved = case((bucket.full_at > now, bucket.full_at), else_=now) + self.refill
        with self.engine.begin() as conn:
            done = conn.execute(
                update(bucket).where(*which, bucket.full_at <= room).values(full_at=moved)
            )
        return done.rowcount == 1

    def _create(self, key: str, now: float) -> bool:
        """False when the bucket exists already (empty, or made by a concurrent attempt)."""
        try:
            with self.engine.begin() as conn:
                # Full buckets say nothing: dropping them keeps guessed names from piling up.
                conn.execute(delete(LoginBucket).where(LoginBucket.full_at < now))
                conn.execute(insert(LoginBucket).values(username=key, full_at=now + self.refill))
        except IntegrityError:
            return False
        return True

    def _wait(self, full_at: float | None, now: float) -> float:
        if full_at is None:
            return 0.0
        return max(0.0, float(full_at) - now - (self.burst - 1) * self.refill)
