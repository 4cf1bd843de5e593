"""The console's login rate limit: a small token bucket per user name, in the database.

Keyed on the user name, not the address: behind a reverse proxy every guess comes from
one address, and a botnet has many. Each attempt takes a token before the password is
checked, with one conditional UPDATE, so concurrent guesses cannot slip past the limit
(on SQLite the write lock serialises them; PostgreSQL re-checks the WHERE on the row it
waited for). A right password gives its token back, so signing in never costs a user
their tries. Someone guessing can keep a name's bucket empty, but only at the refill
rate, and the owner gets in as soon as a token comes back.

The bucket is one number (GCRA): `full_at`, when it would be full again. It holds
`BURST - (full_at - now) / REFILL` tokens; taking one moves `full_at` on by REFILL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.core.models import LoginBucket

BURST = 5  # guesses in a row before the limit bites
REFILL = 60.0  # seconds for one more guess


@dataclass(frozen=True)
class Taken:
    allowed: bool
    retry_after: float  # seconds until a token is back; 0 when allowed


def bucket_key(username: str) -> str:
    """Case and surrounding spaces do not make a new bucket."""
    return username.strip().lower()[:64]


class LoginLimit:
    """Buckets of `burst` tries per user name, one try back every `refill` seconds."""

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

    def take(self, username: str) -> Taken:
        """Take a token for one attempt at `username`, or say how long to wait."""
        key, now = bucket_key(username), self.clock()
        for _ in range(2):  # a new name: insert its bucket, or update the one a racer made
            if self._take(key, now):
                return Taken(True, 0.0)
            if self._create(key, now):
                return Taken(True, 0.0)
        return Taken(False, self._wait(key, now))

    def give_back(self, username: str) -> None:
        """A right password: the attempt costs nothing."""
        with self.engine.begin() as conn:
            conn.execute(
                update(LoginBucket)
                .where(LoginBucket.username == bucket_key(username))
                .values(full_at=LoginBucket.full_at - self.refill)
            )

    def _take(self, key: str, now: float) -> bool:
        room = now + (self.burst - 1) * self.refill  # full_at beyond this: no token left
        moved = case((LoginBucket.full_at > now, LoginBucket.full_at), else_=now) + self.refill
        with self.engine.begin() as conn:
            done = conn.execute(
                update(LoginBucket)
                .where(LoginBucket.username == key, LoginBucket.full_at <= room)
                .values(full_at=moved)
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

    def _wait(self, key: str, now: float) -> float:
        with self.engine.connect() as conn:
            full_at = conn.scalar(select(LoginBucket.full_at).where(LoginBucket.username == key))
        if full_at is None:
            return 0.0
        return max(0.0, float(full_at) - now - (self.burst - 1) * self.refill)
