"""Console users and their roles. Passwords are hashed with scrypt (werkzeug)."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import ConsoleDevice, ConsoleSession, User

ROLES = ("admin", "operator", "viewer")
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)  # a shift, and a little more


class UserError(GatewayError, ValueError):
    """A user cannot be created or changed as asked."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    active: bool

    def can(self, need: str) -> bool:
        """admin > operator > viewer: a role may do what the roles below it may."""
        return ROLES.index(self.role) <= ROLES.index(need)


def _account(row: Any) -> Account:
    return Account(row.id, row.username, row.role, row.active)


def add(engine: Engine, username: str, password: str, role: str) -> Account:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise UserError("a username is letters, digits, '.', '-' and '_'")
    _check_password(password)
    try:
        with engine.begin() as conn:
            user_id = conn.execute(
                insert(User).returning(User.id),
                {
                    "username": username,
                    "password_hash": generate_password_hash(password),
                    "role": role,
                    "active": True,
                    "created_at": utcnow(),
                },
            ).scalar_one()
    except IntegrityError:
        raise UserError(f"user {username!r} exists already") from None
    return Account(user_id, username, role, True)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


@functools.cache
def _dummy_hash() -> str:
    """A hash made once, checked for unknown names: the same work as a real check, so the
    answer's time does not tell which names exist. (Hashing anew per attempt made an
    unknown name cost two scrypt runs, and so answer slower than a known one.)"""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.username == username)).first()
    stored = row.password_hash if row else _dummy_hash()
    if check_password_hash(stored, password) and row is not None and row.active:
        return _account(row)
    return None


def start_session(engine: Engine, user_id: int) -> str:
    """A new sign-in: the token goes into the session cookie, its hash into the database.
    Sessions older than SESSION_LIFETIME (their cookies are refused anyway) are dropped."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            delete(ConsoleSession).where(ConsoleSession.created_at < now - SESSION_LIFETIME)
        )
        conn.execute(
            insert(ConsoleSession).values(
                token_hash=_token_hash(token), user_id=user_id, created_at=now
            )
        )
    return token


def session_account(engine: Engine, user_id: int, token: str) -> Account | None:
    """The active user whose session this is, or None once it ended."""
    query = (
        select(User)
        .join(ConsoleSession, ConsoleSession.user_id == User.id)
        .where(
            ConsoleSession.token_hash == _token_hash(token),
            User.id == user_id,
            User.active,
            ConsoleSession.created_at >= utcnow() - SESSION_LIFETIME,
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _account(row) if row else None


def end_session(engine: Engine, token: str) -> None:
    """Signing out: this session's cookie, and every copy of it, stops working."""
    with engine.begin() as conn:
        conn.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))


def get(engine: Engine, user_id: int) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.id == user_id)).first()
    return _account(row) if row else None


def all_users(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        rows = conn.execute(select(User).order_by(User.username)).all()
    return [_account(r) for r in rows]


def set_role(engine: Engine, user_id: int, role: str) -> Account:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return _change(engine, user_id, sign_out=False, role=role)


def set_active(engine: Engine, user_id: int, active: bool) -> Account:
    """A deactivated user is signed out everywhere and their API token stops."""
    return _change(engine, user_id, active=active)


def set_password(engine: Engine, user_id: int, password: str) -> Account:
    """A new password signs the user out everywhere: whoever had a copy of their session
    cookie (the reason for a reset, often) has it no longer."""
    _check_password(password)
    return _change(engine, user_id, password_hash=generate_password_hash(password))


def _change(engine: Engine, user_id: int, *, sign_out: bool = True, **values: Any) -> Account:
    """Update one user, refusing a change that leaves nobody able to manage users, and
    ending the user's sessions and forgetting their browsers' device cookies unless
    `sign_out` is false (a role is read per request)."""
    with engine.begin() as conn:
        admins_before = _active_admins(conn)
        conn.execute(update(User).where(User.id == user_id).values(**values))
        if sign_out:  # and the browsers it signed in from are strangers again
            conn.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
            conn.execute(delete(ConsoleDevice).where(ConsoleDevice.user_id == user_id))
        row = conn.execute(select(User).where(User.id == user_id)).first()
        if row is None:
            raise UserError(f"no user with id {user_id}")
        if admins_before and not _active_admins(conn):  # raising rolls the update back
            raise UserError("that would leave no active admin to manage users")
    return _account(row)


def _active_admins(conn: Connection) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.active)
    return int(conn.scalar(query) or 0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token(engine: Engine, user_id: int) -> str:
    """A fresh token for the JSON API; only its hash is kept, so it is shown once."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            update(User).where(User.id == user_id).values(api_token_hash=_token_hash(token))
        )
    return token


def by_api_token(engine: Engine, token: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.api_token_hash == _token_hash(token))).first()
    return _account(row) if row and row.active else None
