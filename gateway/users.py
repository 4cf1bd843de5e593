"""Console users and their roles. Passwords are hashed with scrypt (werkzeug)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.db import utcnow
from gateway.models import User

ROLES = ("admin", "operator", "viewer")
MIN_PASSWORD = 10


class UserError(ValueError):
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


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    with engine.connect() as conn:
        row = conn.execute(select(User).where(User.username == username)).first()
    # Hash even for an unknown name, so the answer takes as long either way.
    stored = row.password_hash if row else generate_password_hash("timing-guard")
    if check_password_hash(stored, password) and row is not None and row.active:
        return _account(row)
    return None


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
    return _change(engine, user_id, role=role)


def set_active(engine: Engine, user_id: int, active: bool) -> Account:
    """A deactivated user is signed out at their next request and their API token stops."""
    return _change(engine, user_id, active=active)


def set_password(engine: Engine, user_id: int, password: str) -> Account:
    _check_password(password)
    return _change(engine, user_id, password_hash=generate_password_hash(password))


def _change(engine: Engine, user_id: int, **values: Any) -> Account:
    """Update one user, refusing a change that leaves nobody able to manage users."""
    with engine.begin() as conn:
        admins_before = _active_admins(conn)
        conn.execute(update(User).where(User.id == user_id).values(**values))
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
