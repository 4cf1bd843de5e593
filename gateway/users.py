"""Console users and their roles. Passwords are hashed with scrypt (werkzeug)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
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
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
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
