"""The declarative base of every table; its metadata is what the migrations are checked
against (tests/test_migrations.py)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
