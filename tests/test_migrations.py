from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pin_search import pins_behind_digests, sha1_16, stored_strings
from sqlalchemy import Connection, Engine, String, Text, column, insert, inspect, select, table

from gateway.core import migrate
from gateway.core.config import InboundConfig
from gateway.core.db import make_engine
from gateway.core.models import Base, InboundMessage, InboundPart, Message, Sighting
from gateway.inbox.store import Inbox, IncomingPart


def _same_type_on_sqlite(
    _ctx: object, _col: object, _meta: object, found: Any, wanted: Any
) -> bool | None:
    """SQLite keeps a column's declared length and never enforces it: migration 0013 widens
    messages.to only on PostgreSQL (rebuilding `messages` on SQLite would cascade into
    `sent_parts`). There, a length is the one difference allowed; anything else counts."""
    lengths = [isinstance(t, String) and not isinstance(t, Text) for t in (found, wanted)]
    return False if all(lengths) else None


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    opts = {"compare_type": _same_type_on_sqlite} if engine.dialect.name == "sqlite" else {}
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, Base.metadata) == []


def test_the_migrations_go_down_and_up_again(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.upgrade(engine) == migrate.head(engine)
    assert "messages" in inspect(engine).get_table_names()


def test_the_head_known_without_alembic_is_alembics_head(engine: Engine) -> None:
    """migrate.HEAD lets every command skip importing Alembic; a new migration moves it."""
    assert migrate.head(engine) == migrate.HEAD


def test_ensure_current_brings_a_new_or_old_database_to_the_head(db_url: str) -> None:
    fresh = make_engine(db_url)
    try:
        assert migrate.ensure_current(fresh) == migrate.HEAD  # no alembic_version table yet
        assert migrate.current(fresh) == migrate.HEAD
        cfg = migrate.alembic_config(fresh)
        with fresh.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
        assert migrate.current(fresh) == "0009"
        assert migrate.ensure_current(fresh) == migrate.HEAD
        assert migrate.current(fresh) == migrate.HEAD
        assert migrate.ensure_current(fresh) == migrate.HEAD  # current: one query, no upgrade
    finally:
        fresh.dispose()


OLD_SENDER = "+447700900601"
DESK = "+447700900699"
OLD_STAMP = datetime(2026, 11, 21, 23, 15, 4)
PADDED = "RELAY S1001" + " " * 150


def _old_message(conn: Connection, text: str, parts: int = 1, ref: int = -1) -> int:
    row = {"sender": OLD_SENDER, "text": text, "sc_timestamp": OLD_STAMP, "parts": parts}
    values = {**row, "received_at": OLD_STAMP, "concat_ref": ref, "routed_at": OLD_STAMP}
    return int(
        conn.execute(insert(InboundMessage).returning(InboundMessage.id), values).scalar_one()
    )


def _old_part(
    conn: Connection,
    message: int | None,
    text: str,
    digest: str,
    pdu: str | None = None,
    *,
    part: int = 1,
    of: int = 1,
    ref: int = -1,
) -> None:
    conn.execute(
        insert(InboundPart),
        {
            "sender": OLD_SENDER,
            "sc_timestamp": OLD_STAMP,
            "concat_ref": ref,
            "part": part,
            "parts": of,
            "digest": digest,
            "text": text,
            "received_at": OLD_STAMP,
            "message_id": message,
            "pdu": pdu,
        },
    )


# The columns `messages` had at 0010: the model has more now (0013's channel).
MESSAGES_AT_0010 = table(
    "messages",
    *(
        column(name)
        for name in (
            "to",
            "text",
            "created_at",
            "next_attempt_at",
            "status",
            "priority",
            "attempts",
            "parts",
            "kind",
            "dedupe_key",
        )
    ),
)


def _store_at_0010(engine: Engine) -> dict[str, int]:
    """Texts as the gateway stored them before 0011, PINs (4821) and all."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        command = "RELAY S1001 DOCKING 4821"  # before PINs were taken out at all
        ids["command"] = _old_message(conn, command)
        _old_part(conn, ids["command"], command, sha1_16(command), "0791AB4821")
        # Padded into two parts: 0010 redacted the texts but kept each part's digest.
        ids["padded"] = _old_message(conn, PADDED + "DOCKING ****", 2, ref=4)
        _old_part(
            conn, ids["padded"], PADDED + "DOCKING ****", sha1_16(PADDED), part=1, of=2, ref=4
        )
        _old_part(conn, ids["padded"], "", sha1_16("DOCKING 4821"), part=2, of=2, ref=4)
        # Words after the PIN: 0010 masked the text, but hashed and kept what came in.
        thx = "RELAY S1001 DOCKING 4821 thx"
        ids["thx"] = _old_message(conn, thx.replace("4821", "****"))
        _old_part(conn, ids["thx"], thx.replace("4821", "****"), sha1_16(thx), "07AB4821")
        # CLOSE with words after it: kept whole, filed as a report and forwarded.
        close = "CLOSE S1001 4821 thanks"
        ids["close"] = _old_message(conn, close)
        _old_part(conn, ids["close"], close, sha1_16(close), "07AC4821")
        sighting = {"ref": "S1002", "inbound_id": ids["close"], "sender": OLD_SENDER}
        ids["sighting"] = int(
            conn.execute(
                insert(Sighting).returning(Sighting.id),
                {
                    **sighting,
                    "text": close,
                    "parsed": '{"notes": ["4821"]}',
                    "created_at": OLD_STAMP,
                },
            ).scalar_one()
        )
        forward = {
            "created_at": OLD_STAMP,
            "next_attempt_at": OLD_STAMP,
            "status": "sent",
            "priority": 1,
            "attempts": 0,
            "parts": 1,
            "kind": "direct",
        }
        for level, text in enumerate([f"S1002 from {OLD_SENDER}: {close}", "S1002: CLOSE S10..."]):
            key = f"forward:{ids['sighting']}:{level}"
            conn.execute(
                insert(MESSAGES_AT_0010), {**forward, "to": DESK, "text": text, "dedupe_key": key}
            )
        cut = f"S1002 from {OLD_SENDER}: CLOSE S1001 48..."  # cut to one part mid-PIN
        key = f"forward:{ids['sighting']}:2"
        conn.execute(
            insert(MESSAGES_AT_0010), {**forward, "to": DESK, "text": cut, "dedupe_key": key}
        )
        # Nothing to hide, and a part still waiting for the rest of its text.
        ids["plain"] = _old_message(conn, "Silver car at Docking 1234")
        _old_part(conn, ids["plain"], "Silver car at Docking 1234", "0123456789abcdef", "07AD")
        _old_part(
            conn, None, "CLOSE S1001 4821 and", sha1_16("CLOSE S1001 4821 and"), part=1, of=2, ref=9
        )
    return ids


def test_commands_started_together_on_a_new_database_upgrade_it_once(db_url: str) -> None:
    """The daemon and the console (or several gateways after an update) start together:
    one upgrades, the others wait and find the schema current."""
    engines = [make_engine(db_url) for _ in range(4)]
    start, errors = threading.Barrier(len(engines)), []

    def open_it(engine: Engine) -> None:
        start.wait()
        try:
            migrate.ensure_current(engine)
        except Exception as exc:  # whatever broke, reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert migrate.current(engines[0]) == migrate.HEAD
    finally:
        for e in engines:
            e.dispose()


def test_0011_takes_the_pins_out_of_texts_stored_before(engine: Engine) -> None:
    cfg = migrate.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    ids = _store_at_0010(engine)
    with engine.connect() as conn:  # the test's own check: the PIN is there to be found
        assert "4821" in "".join(conn.scalars(select(InboundPart.text)))
    assert migrate.upgrade(engine) == migrate.head(engine)

    assert not [v for v in stored_strings(engine) if "4821" in v]
    assert pins_behind_digests(engine, ["DOCKING ****", "**** thx"]) == set()
    with engine.connect() as conn:
        texts = {i: t for i, t in conn.execute(select(InboundMessage.id, InboundMessage.text))}
        parts = {
            (m, p): (t, d, pdu)
            for m, p, t, d, pdu in conn.execute(
                select(
                    InboundPart.message_id,
                    InboundPart.part,
                    InboundPart.text,
                    InboundPart.digest,
                    InboundPart.pdu,
                )
            )
        }
        sighting = conn.execute(select(Sighting.text, Sighting.parsed)).one()
        forwards = list(conn.scalars(select(Message.text).order_by(Message.id)))
    assert texts[ids["close"]] == "CLOSE S1001 **** thanks"
    assert parts[(ids["padded"], 1)][0] == PADDED + "DOCKING ****"
    assert parts[(ids["padded"], 2)][:1] == ("",)
    assert [parts[(ids[k], 1)][2] for k in ("command", "thx", "close")] == [None, None, None]
    assert parts[(ids["plain"], 1)] == ("Silver car at Docking 1234", "0123456789abcdef", "07AD")
    assert parts[(None, 1)][0] == "CLOSE S1001 **** and"
    assert tuple(sighting) == ("CLOSE S1001 **** thanks", '{"notes": ["****"]}')
    assert forwards == [
        f"S1002 from {OLD_SENDER}: CLOSE S1001 **** thanks",
        "S1002: CLOSE S10...",
        f"S1002 from {OLD_SENDER}: CLOSE S1001 **...",
    ]
    # The digests are the inbox's own: the same SMS read again is still stored once.
    box = Inbox(engine, InboundConfig())
    for again in (
        IncomingPart(OLD_SENDER, OLD_STAMP, "RELAY S1001 DOCKING 4821"),
        IncomingPart(OLD_SENDER, OLD_STAMP, "DOCKING 4821", 4, 2, 2),
        IncomingPart(OLD_SENDER, OLD_STAMP, "CLOSE S1001 4821 thanks"),
    ):
        assert box.store("e1", again) == []
