"""Named API tokens (`smsgw token add/list/revoke`), beside the one per user made on the
Users page. Both open the JSON API: `account_for` checks either. Only SHA-256 hashes are
kept, so a token is shown once; revoking one leaves the user's others working.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from gateway.core import audit, users
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import ApiToken, User

MAX_NAME = 64
# last_used_at is written at most this often per token: not one write per API call.
STAMP_EVERY = timedelta(minutes=1)


class TokenError(GatewayError, ValueError):
    """A token cannot be made or revoked as asked."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(engine: Engine, username: str, name: str = "", *, by: str = "cli") -> tuple[TokenInfo, str]:
    """A new token for `username`; returns it with the secret, which is not kept."""
    name = name.strip()
    if len(name) > MAX_NAME:
        raise TokenError(f"a token's name is at most {MAX_NAME} characters")
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        user = conn.execute(select(User).where(User.username == username)).first()
        if user is None:
            raise TokenError(f"no user {username!r}")
        token_id = conn.execute(
            insert(ApiToken).returning(ApiToken.id),
            {"user_id": user.id, "name": name, "token_hash": _hash(secret), "created_at": now},
        ).scalar_one()
        audit.record_in(conn, by, "token-added", f"token {token_id} for {username} {name!r}")
    return TokenInfo(token_id, username, name, now, None, None), secret


def listing(engine: Engine) -> list[TokenInfo]:
    query = (
        select(ApiToken.id, User.username, ApiToken.name, ApiToken.created_at)
        .add_columns(ApiToken.last_used_at, ApiToken.revoked_at)
        .join(User, User.id == ApiToken.user_id)
        .order_by(ApiToken.id)
    )
    with engine.connect() as conn:
        return [TokenInfo(*row) for row in conn.execute(query).tuples()]


def revoke(engine: Engine, token_id: int, *, by: str = "cli") -> TokenInfo:
    """The token stops at once; revoking it again is refused, so a typo'd id is noticed."""
    with engine.begin() as conn:
        done = conn.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        if not done:
            known = conn.scalar(select(ApiToken.id).where(ApiToken.id == token_id))
            raise TokenError(
                f"token {token_id} is revoked already" if known else f"no token {token_id}"
            )
        audit.record_in(conn, by, "token-revoked", f"token {token_id}")
    return next(t for t in listing(engine) if t.id == token_id)


def account_for(engine: Engine, token: str) -> users.Account | None:
    """The active user a token (the Users page's, or a named one not revoked) belongs to."""
    account = users.by_api_token(engine, token)
    if account is not None:
        return account
    query = (
        select(User.id, User.username, User.role, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None), User.active)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    user_id, username, role, token_id, last_used = row
    now = utcnow()
    if last_used is None or now - last_used >= STAMP_EVERY:
        with engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return users.Account(user_id, username, role, True)
