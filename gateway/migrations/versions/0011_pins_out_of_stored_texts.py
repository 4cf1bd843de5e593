"""PINs out of the texts stored before: redaction run over what is already kept

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Texts stored before this revision may hold an officer's PIN: every command before
revision 0010's code, and since then a text that starts like a command but is none
(`CLOSE S1001 4821 thanks`, `CLOSE: S1001 4821`), its digest taken of the text as received
(from which the PIN comes back in 10,000 tries) and its raw PDU kept. This runs today's
redaction (gateway.inbox.cleaning) over inbound_messages, inbound_parts (text, digest, raw
PDU), the sightings filed from them and their forwards in the outbox, exactly as the inbox
now stores a new text, so a part read again off a SIM is still known. Data only: there is
nothing to undo, and a downgrade puts no PIN back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from alembic import op

from gateway.inbox.cleaning import is_rewritten, redacted_digest, rewritten_parts
from gateway.inbox.officer_words import PIN_MASK, mask_numbers, reads_like_a_command, redact

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_meta = sa.MetaData()
_messages = sa.Table(
    "inbound_messages",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text),
)
_parts = sa.Table(
    "inbound_parts",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message_id", sa.Integer),
    sa.Column("part", sa.Integer),
    sa.Column("text", sa.Text),
    sa.Column("digest", sa.String(16)),
    sa.Column("pdu", sa.Text),
)
_sightings = sa.Table(
    "sightings",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text),
    sa.Column("parsed", sa.Text),
)
_outbox = sa.Table(
    "messages",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text),
    sa.Column("dedupe_key", sa.String(80)),
)


def _like_a_verb(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """A cheap first sieve in SQL: the text starts with a verb (Python decides the rest);
    "back" or "black" in a report is not worth a second look."""
    low = sa.func.lower(sa.func.ltrim(column, " \t\r\n"))
    return sa.or_(*(low.like(f"{verb}%") for verb in ("ack", "close", "relay")))


def _masked(text: str) -> bool:
    """A stored text redaction has been at, or would have been."""
    return reads_like_a_command(text) and PIN_MASK in text


def upgrade() -> None:
    conn = op.get_bind()
    _redact_messages(conn)
    _redact_loose_parts(conn)
    for sid, old, new in _redact_sightings(conn):
        _redact_forwards(conn, sid, old, new)


def downgrade() -> None:
    """Nothing to undo: the PINs are gone."""


def _redact_messages(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(_messages.c.id, _messages.c.text).where(_like_a_verb(_messages.c.text))
    )
    for msg_id, text in rows.all():
        new = redact(text)[0]
        if new != text:
            conn.execute(sa.update(_messages).where(_messages.c.id == msg_id).values(text=new))
        parts = conn.execute(
            sa.select(_parts.c.id, _parts.c.text, _parts.c.digest)
            .where(_parts.c.message_id == msg_id)
            .order_by(_parts.c.part, _parts.c.id)
        ).all()
        if len(parts) == 1:
            _redact_part(conn, *parts[0])
        elif parts and (new != text or _masked(new)):
            if new == text and all(is_rewritten(t, d, i) for i, t, d in parts):
                continue  # stored as the inbox stores it now
            for part_id, part_text, part_digest in rewritten_parts(new, [p[0] for p in parts]):
                conn.execute(
                    sa.update(_parts)
                    .where(_parts.c.id == part_id)
                    .values(text=part_text, digest=part_digest, pdu=None)
                )


def _redact_loose_parts(conn: sa.Connection) -> None:
    """Parts still waiting for the rest of their text."""
    rows = conn.execute(
        sa.select(_parts.c.id, _parts.c.text, _parts.c.digest).where(
            _parts.c.message_id.is_(None), _like_a_verb(_parts.c.text)
        )
    )
    for part in rows.all():
        _redact_part(conn, *part)


def _redact_part(conn: sa.Connection, part_id: int, text: str, digest: str) -> None:
    """One part, as the inbox stores it: its digest of the redacted text, no raw PDU."""
    new = redact(text)[0]
    if new == text and not (_masked(new) and digest != redacted_digest(new)):
        return
    conn.execute(
        sa.update(_parts)
        .where(_parts.c.id == part_id)
        .values(text=new, digest=redacted_digest(new), pdu=None)
    )


def _redact_sightings(conn: sa.Connection) -> Iterable[tuple[int, str, str]]:
    """Each sighting changed, as (id, old text, new text); what the parser read from it
    loses the same numbers."""
    rows = conn.execute(
        sa.select(_sightings.c.id, _sightings.c.text, _sightings.c.parsed).where(
            _like_a_verb(_sightings.c.text)
        )
    )
    changed = []
    for sid, text, parsed in rows.all():
        new = redact(text)[0]
        if new == text:
            continue
        read = _mask_strings(json.loads(parsed or "{}"))
        conn.execute(
            sa.update(_sightings)
            .where(_sightings.c.id == sid)
            .values(text=new, parsed=json.dumps(read))
        )
        changed.append((sid, text, new))
    return changed


def _mask_strings(value: object) -> object:
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, list):
        return [_mask_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask_strings(v) for k, v in value.items()}
    return value


def _redact_forwards(conn: sa.Connection, sid: int, old: str, new: str) -> None:
    """The report's forwards end with its text, perhaps cut to one part and "..."."""
    rows = conn.execute(
        sa.select(_outbox.c.id, _outbox.c.text).where(_outbox.c.dedupe_key.like(f"forward:{sid}:%"))
    )
    for message_id, text in rows.all():
        fixed = text.replace(old, new)
        if fixed == text:
            cut = next((n for n in range(len(old), 0, -1) if text.endswith(old[:n] + "...")), 0)
            if cut:
                fixed = text[: -(cut + 3)] + mask_numbers(new[:cut]) + "..."
        if fixed != text:
            conn.execute(sa.update(_outbox).where(_outbox.c.id == message_id).values(text=fixed))
