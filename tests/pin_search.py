"""Looking for a PIN where someone with a copy of the database would: in every stored
string, and behind every stored digest. A digest is a 16-hex SHA-1 of a text; whoever
sees a redacted text (`RELAY S1042 DOCKING ****`) and the digest of the text it came from
tries the 10,000 four-digit PINs in the mask's place and has the PIN in a moment."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Engine, String, select

from gateway.core.models import Base, Operator

MASK = "****"
PINS = [f"{n:04d}" for n in range(10_000)]


def sha1_16(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _is_digest(column: Column[Any]) -> bool:
    name = column.name
    return name == "digest" or name.endswith("_digest")


def stored_strings(engine: Engine) -> list[str]:
    """Every text and string value in every table, but the PIN's own (scrypt) hash and the
    digests (hex, which hold any four digits by chance: `pins_behind_digests` reads them)."""
    found: list[str] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, String)
                and c is not Operator.__table__.c.pin_hash
                and not _is_digest(c)
            ]
            if columns:
                found += [str(v) for row in conn.execute(select(*columns)) for v in row if v]
    return found


def stored_digests(engine: Engine) -> set[str]:
    """Every value of every column named `digest` (or `..._digest`)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for c in table.columns:
                if _is_digest(c):
                    found |= {str(v) for v in conn.scalars(select(c)) if v}
    return found


def pins_behind_digests(engine: Engine, guesses: Iterable[str] = ()) -> set[str]:
    """The 4-digit PINs that, put in place of the mask in a stored string (or in one of
    `guesses`, texts an attacker would also try, such as one part of a two-part text),
    give a text whose digest is stored."""
    digests = stored_digests(engine)
    templates = {s for s in [*stored_strings(engine), *guesses] if MASK in s}
    return {pin for t in templates for pin in PINS if sha1_16(t.replace(MASK, pin)) in digests}
